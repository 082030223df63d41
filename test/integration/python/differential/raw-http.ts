/**
 * One raw HTTP/1.1 exchange over a TCP socket: the request's bytes exactly as written (no client
 * library to normalize them), and the response as the bytes on the wire framed it: interim 1xx
 * statuses, status, reason, headers in order, the body de-chunked, and whether it arrived whole
 * before the server closed the connection (a cut response) or the wait ran out (a hang).
 */
import { connect } from "node:net";

export interface RawRequest {
  /** The request head and any body sent at once. */
  bytes: Buffer;
  /** Sent after the server's `100 Continue` (or after a second without one). */
  afterContinue?: Buffer;
  /** The response to a HEAD request has no body whatever its headers say. */
  head?: boolean;
}

export interface Outcome {
  interim: number[];
  status: number;
  reason: string;
  /** Lower-case names, in order, duplicates kept. */
  headers: [string, string][];
  framing: "length" | "chunked" | "close" | "none";
  body: Buffer;
  /** The body arrived whole by its framing. False: the server closed mid-body, or never answered. */
  complete: boolean;
  /** The wait ran out with the connection still open and the response unfinished. */
  hung: boolean;
}

const CRLF2 = Buffer.from("\r\n\r\n");

interface Parsed {
  done: boolean;
  outcome?: Outcome;
  /** A HEAD response's head arrived. */
  headed?: boolean;
}

/** How long a HEAD exchange waits after the head for bytes that should not come. */
const HEAD_LINGER_MS = 300;

/** Parses what arrived so far; `closed` says the server closed the connection. */
function parse(data: Buffer, req: RawRequest, closed: boolean): Parsed {
  const interim: number[] = [];
  let at = 0;
  for (;;) {
    const end = data.indexOf(CRLF2, at);
    if (end < 0) return { done: closed };
    const lines = data.subarray(at, end).toString("latin1").split("\r\n");
    const m = /^HTTP\/1\.[01] (\d{3})(?: (.*))?$/.exec(lines[0]!);
    if (!m) throw new Error(`not a status line: ${JSON.stringify(lines[0])}`);
    const status = Number(m[1]);
    const headers = lines.slice(1).map((line): [string, string] => {
      const colon = line.indexOf(":");
      return [line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim()];
    });
    at = end + 4;
    if (status < 200) {
      interim.push(status);
      continue;
    }
    const base = { interim, status, reason: m[2] ?? "", headers, hung: false };
    const rest = data.subarray(at);
    const te = headers.find(([n]) => n === "transfer-encoding")?.[1];
    const cl = headers.find(([n]) => n === "content-length")?.[1];
    if (req.head || status === 204 || status === 304) {
      // Whatever follows is a body the server should not have sent: wait to see it (the caller
      // ends a HEAD exchange after HEAD_LINGER_MS on a connection kept open).
      if (req.head && !closed) return { done: false, headed: true };
      return { done: true, outcome: { ...base, framing: "none", body: rest, complete: true } };
    }
    if (te !== undefined && /chunked/i.test(te)) {
      const chunks: Buffer[] = [];
      let p = 0;
      for (;;) {
        const eol = rest.indexOf("\r\n", p);
        if (eol < 0) break;
        const size = parseInt(rest.subarray(p, eol).toString("latin1"), 16);
        if (size === 0) {
          const whole = rest.length >= eol + 4;
          if (!whole && !closed) return { done: false };
          const body = Buffer.concat(chunks);
          return { done: true, outcome: { ...base, framing: "chunked", body, complete: whole } };
        }
        if (rest.length < eol + 2 + size + 2) break;
        chunks.push(rest.subarray(eol + 2, eol + 2 + size));
        p = eol + 2 + size + 2;
      }
      if (!closed) return { done: false };
      const body = Buffer.concat(chunks);
      return { done: true, outcome: { ...base, framing: "chunked", body, complete: false } };
    }
    if (cl !== undefined) {
      const n = Number(cl);
      if (rest.length < n && !closed) return { done: false };
      const body = rest.subarray(0, n);
      const complete = rest.length >= n;
      return { done: true, outcome: { ...base, framing: "length", body, complete } };
    }
    if (!closed) return { done: false };
    return { done: true, outcome: { ...base, framing: "close", body: rest, complete: true } };
  }
}

const NO_RESPONSE: Outcome = {
  interim: [],
  status: 0,
  reason: "",
  headers: [],
  framing: "none",
  body: Buffer.alloc(0),
  complete: false,
  hung: false,
};

/** Sends `req` to 127.0.0.1:`port` on a new connection and reads one response. */
export function exchange(port: number, req: RawRequest, waitMs = 5000): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1");
    let data = Buffer.alloc(0);
    let settled = false;
    let continued = req.afterContinue === undefined;
    let linger: NodeJS.Timeout | undefined;
    const finish = (outcome: Outcome) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      clearTimeout(continueTimer);
      clearTimeout(linger);
      socket.destroy();
      resolve(outcome);
    };
    const sendRest = () => {
      if (continued) return;
      continued = true;
      socket.write(req.afterContinue!);
    };
    const step = (closed: boolean) => {
      try {
        if (!continued && /^HTTP\/1\.1 100/.test(data.toString("latin1"))) sendRest();
        const parsed = parse(data, req, closed);
        if (parsed.done) finish(parsed.outcome ?? NO_RESPONSE);
        else if (parsed.headed && linger === undefined) {
          linger = setTimeout(
            () => finish(parse(data, req, true).outcome ?? NO_RESPONSE),
            HEAD_LINGER_MS,
          );
        }
      } catch (err) {
        settled = true;
        socket.destroy();
        reject(err as Error);
      }
    };
    const timer = setTimeout(() => {
      const parsed = parse(data, req, true);
      finish({ ...(parsed.outcome ?? NO_RESPONSE), complete: false, hung: true });
    }, waitMs);
    const continueTimer = setTimeout(sendRest, 1000);
    socket.on("data", (chunk: Buffer) => {
      data = Buffer.concat([data, chunk]);
      step(false);
    });
    socket.on("close", () => step(true));
    socket.on("error", () => step(true));
    socket.write(req.bytes);
  });
}
