/** Raw HTTP/1.1 client sockets for the connections scenario (many sockets, almost no parsing). */
import { connect, type Socket } from "node:net";

export function request(path: string): string {
  return `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: keep-alive\r\n\r\n`;
}

/** Open a socket and resolve once it is connected. */
export function open(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: "127.0.0.1", port });
    s.setNoDelay(true);
    s.once("connect", () => {
      s.off("error", reject);
      resolve(s);
    });
    s.once("error", reject);
  });
}

/** Resolves with the first chunk of the response to `req` (small responses come in one chunk). */
export function firstChunk(s: Socket, req: string, timeoutMs = 30_000): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("no response")), timeoutMs);
    s.once("data", (chunk: Buffer) => {
      clearTimeout(timer);
      resolve(chunk);
    });
    s.write(req);
  });
}

/** Run `task` for 0..n-1 with at most `width` in flight (a burst of 10k SYNs overflows backlogs). */
export async function inBatches(
  n: number,
  width: number,
  task: (i: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < n) await task(next++);
  };
  await Promise.all(Array.from({ length: Math.min(width, n) }, worker));
}

export function body(chunk: Buffer): string {
  const text = chunk.toString("latin1");
  const i = text.indexOf("\r\n\r\n");
  return i < 0 ? "" : text.slice(i + 4);
}
