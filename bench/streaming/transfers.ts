/**
 * The clients of the streaming benchmark, over raw sockets: a download read at a fixed slow pace
 * (TCP pushes back on the server) and an upload sent as fast as the socket drains.
 */
import { createHash } from "node:crypto";
import { once } from "node:events";
import { connect } from "node:net";

export const MiB = 1024 * 1024;

export interface Transfer {
  bytes: number;
  seconds: number;
  complete: boolean;
}

/** Reads a response at `rateMiB`, pausing the socket so TCP pushes back on the server. */
export function pacedDownload(
  port: number,
  path: string,
  rateMiB: number,
  maxSeconds: number,
): Promise<Transfer> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1");
    const started = performance.now();
    const bytesPerMs = (rateMiB * MiB) / 1000;
    let total = 0;
    let headBytes = -1;
    let head = Buffer.alloc(0);
    let timedOut = false;
    const deadline = setTimeout(() => {
      timedOut = true;
      socket.destroy();
    }, maxSeconds * 1000);
    socket.on("data", (chunk: Buffer) => {
      total += chunk.length;
      if (headBytes === -1) {
        head = Buffer.concat([head, chunk]);
        const end = head.indexOf("\r\n\r\n");
        if (end !== -1) headBytes = end + 4;
      }
      const ahead = total / bytesPerMs - (performance.now() - started);
      if (ahead > 1) {
        socket.pause();
        setTimeout(() => socket.resume(), ahead);
      }
    });
    socket.on("error", reject);
    socket.on("close", () => {
      clearTimeout(deadline);
      const seconds = (performance.now() - started) / 1000;
      resolve({ bytes: Math.max(0, total - headBytes), seconds, complete: !timedOut });
    });
    socket.write(`GET ${path} HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\r\n`);
  });
}

/** Sends `size` zero bytes as fast as the socket drains; the upstream answers with its count. */
export async function upload(
  port: number,
  path: string,
  size: number,
  maxSeconds: number,
): Promise<Transfer> {
  const socket = connect(port, "127.0.0.1");
  await once(socket, "connect");
  const started = performance.now();
  const timer = setTimeout(() => socket.destroy(), maxSeconds * 1000);
  const response: Buffer[] = [];
  socket.on("data", (c: Buffer) => response.push(c));
  const closed = once(socket, "close").catch(() => undefined);
  socket.on("error", () => {});
  socket.write(
    `POST ${path} HTTP/1.1\r\nHost: bench\r\nConnection: close\r\nContent-Length: ${size}\r\n\r\n`,
  );
  const chunk = Buffer.alloc(256 * 1024);
  const hash = createHash("sha256");
  let sent = 0;
  while (sent < size && !socket.destroyed) {
    const piece = size - sent >= chunk.length ? chunk : chunk.subarray(0, size - sent);
    sent += piece.length;
    hash.update(piece);
    if (!socket.write(piece)) await Promise.race([once(socket, "drain"), closed]);
  }
  await closed;
  clearTimeout(timer);
  const seconds = (performance.now() - started) / 1000;
  const text = Buffer.concat(response).toString("latin1");
  const counted = Number(/"bytes":(\d+)/.exec(text)?.[1] ?? -1);
  // A receiver that hashes (the Ferry handler) must have seen exactly these bytes.
  const sha = /"sha256":"([0-9a-f]{64})"/.exec(text)?.[1];
  const intact = sha === undefined || sha === hash.digest("hex");
  return { bytes: Math.max(0, counted), seconds, complete: counted === size && intact };
}
