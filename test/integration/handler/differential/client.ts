/**
 * What a client observes of one response, made comparable: status line, header lines as sent
 * (names in their case, the Date value blanked), body (parsed when JSON, a digest when large),
 * whether the response completed or was cut.
 */
import { createHash } from "node:crypto";
import { request, type IncomingMessage } from "node:http";

export interface Observed {
  status: number;
  reason: string;
  headers: Array<[string, string]>;
  /** JSON bodies parsed; others as text, or `sha256:<hex>/<bytes>` past 64 KiB. */
  body: unknown;
  /** False when the connection was cut before the response ended. */
  complete: boolean;
}

export interface Send {
  method?: string;
  path: string;
  headers?: Array<[string, string]>;
  /** Written as given: one string or several writes (a chunked upload). */
  body?: string | Buffer | Array<string | Buffer>;
}

function headerPairs(res: IncomingMessage): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (let i = 0; i < res.rawHeaders.length; i += 2) {
    const name = res.rawHeaders[i]!;
    out.push([name, name.toLowerCase() === "date" ? "<date>" : res.rawHeaders[i + 1]!]);
  }
  return out;
}

function bodyOf(bytes: Buffer, res: IncomingMessage): unknown {
  if (bytes.length > 64 * 1024)
    return `sha256:${createHash("sha256").update(bytes).digest("hex")}/${bytes.length}`;
  if ((res.headers["content-type"] ?? "").startsWith("application/json") && bytes.length > 0)
    return JSON.parse(bytes.toString("utf8")) as unknown;
  return bytes.toString("utf8");
}

/** One request on its own connection; `onHead` runs when status and headers arrive. */
export function send(
  port: number,
  s: Send,
  onHead?: (res: IncomingMessage) => void,
): Promise<Observed> {
  return new Promise((resolve, reject) => {
    // Once the head has arrived, a connection error (a reset) means a cut response, not a failure.
    let cut: ((complete: boolean) => void) | undefined;
    const req = request(
      {
        host: "127.0.0.1",
        port,
        method: s.method ?? "GET",
        path: s.path,
        agent: false,
        headers: s.headers?.flat(),
        setHost: !s.headers?.some(([n]) => n.toLowerCase() === "host"),
      },
      (res) => {
        onHead?.(res);
        const parts: Buffer[] = [];
        let settled = false;
        const finish = (complete: boolean) => {
          if (settled) return;
          settled = true;
          resolve({
            status: res.statusCode ?? 0,
            reason: res.statusMessage ?? "",
            headers: headerPairs(res),
            body: bodyOf(Buffer.concat(parts), res),
            complete,
          });
        };
        cut = finish;
        res.on("data", (c: Buffer) => parts.push(c));
        res.on("end", () => finish(res.complete));
        res.on("aborted", () => finish(false));
        res.on("error", () => finish(false));
        res.on("close", () => finish(res.complete));
      },
    );
    req.on("error", (err) => (cut === undefined ? reject(err) : cut(false)));
    const body = s.body;
    if (Array.isArray(body)) {
      // Separate writes, each flushed, so the server sees a chunked body in pieces.
      const write = (i: number) => {
        if (i === body.length) return void req.end();
        req.write(body[i]!, () => setTimeout(() => write(i + 1), 5));
      };
      write(0);
    } else {
      req.end(body);
    }
  });
}
