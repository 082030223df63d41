/** Raw TCP clients for tests that need exact bytes: pipelining, malformed requests. */
import { connect, type Socket } from "node:net";

export interface RawResult {
  /** Everything received until the server closed or `idleMs` passed without data. */
  data: string;
  closed: boolean;
}

export interface RawEnding {
  data: string;
  /** How the connection ended: "eof" (FIN), "reset" (RST), "open" (still open at idle). */
  end: "eof" | "reset" | "open";
}

export interface RawOptions {
  idleMs?: number;
  /** Stop (as "open") once the data received so far satisfies this. */
  until?: (data: string) => boolean;
  /** Called with the socket once connected, before the payload is written. */
  socket?: (s: Socket) => void;
}

/**
 * Send bytes, collect everything until the server closes the connection or `idleMs` passes
 * without data; says whether the end was a clean FIN or a reset.
 */
export function rawEnding(
  port: number,
  payload: string | Buffer,
  options: RawOptions = {},
): Promise<RawEnding> {
  const idleMs = options.idleMs ?? 500;
  return new Promise((resolve, reject) => {
    const socket: Socket = connect(port, "127.0.0.1");
    let data = "";
    let timer: NodeJS.Timeout | undefined;
    let done = false;
    const finish = (end: RawEnding["end"]) => {
      if (done) return;
      done = true;
      if (timer) clearTimeout(timer);
      socket.destroy();
      resolve({ data, end });
    };
    const arm = () => {
      if (timer) clearTimeout(timer);
      timer = setTimeout(() => finish("open"), idleMs);
    };
    socket.on("connect", () => {
      options.socket?.(socket);
      socket.write(payload);
      arm();
    });
    socket.on("data", (chunk: Buffer) => {
      data += chunk.toString("latin1");
      if (options.until?.(data)) finish("open");
      else arm();
    });
    socket.on("end", () => finish("eof"));
    socket.on("close", () => finish("eof"));
    socket.on("error", (err: NodeJS.ErrnoException) => {
      if (err.code === "ECONNRESET") finish("reset");
      else if (err.code === "EPIPE") finish("eof");
      else reject(err);
    });
  });
}

/** As rawEnding, saying only whether the server closed the connection. */
export async function rawExchange(
  port: number,
  payload: string | Buffer,
  options: RawOptions = {},
): Promise<RawResult> {
  const { data, end } = await rawEnding(port, payload, options);
  return { data, closed: end !== "open" };
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
