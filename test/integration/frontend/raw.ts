/** Raw TCP clients for tests that need exact bytes: pipelining, malformed requests. */
import { connect, type Socket } from "node:net";

export interface RawResult {
  /** Everything received until the server closed or `idleMs` passed without data. */
  data: string;
  closed: boolean;
}

export function rawExchange(
  port: number,
  payload: string | Buffer,
  options: { idleMs?: number; until?: (data: string) => boolean } = {},
): Promise<RawResult> {
  const idleMs = options.idleMs ?? 500;
  return new Promise((resolve, reject) => {
    const socket: Socket = connect(port, "127.0.0.1");
    let data = "";
    let timer: NodeJS.Timeout | undefined;
    const finish = (closed: boolean) => {
      if (timer) clearTimeout(timer);
      socket.destroy();
      resolve({ data, closed });
    };
    const arm = () => {
      if (timer) clearTimeout(timer);
      timer = setTimeout(() => finish(false), idleMs);
    };
    socket.on("connect", () => {
      socket.write(payload);
      arm();
    });
    socket.on("data", (chunk: Buffer) => {
      data += chunk.toString("latin1");
      if (options.until?.(data)) finish(false);
      else arm();
    });
    socket.on("close", () => finish(true));
    socket.on("error", (err: NodeJS.ErrnoException) => {
      if (err.code === "ECONNRESET" || err.code === "EPIPE") finish(true);
      else reject(err);
    });
  });
}

/** Split a stream of HTTP/1.1 responses with Content-Length bodies into [status, body] pairs. */
export function splitResponses(
  data: string,
): Array<{ status: number; body: string; head: string }> {
  const out: Array<{ status: number; body: string; head: string }> = [];
  let rest = data;
  while (rest.length > 0) {
    const end = rest.indexOf("\r\n\r\n");
    if (end === -1) break;
    const head = rest.slice(0, end);
    const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(head)?.[1] ?? 0);
    const length = Number(/\r\ncontent-length: *(\d+)/i.exec(head)?.[1] ?? 0);
    out.push({ status, head, body: rest.slice(end + 4, end + 4 + length) });
    rest = rest.slice(end + 4 + length);
  }
  return out;
}
