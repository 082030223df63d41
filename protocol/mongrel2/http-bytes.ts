/**
 * Raw HTTP/1.x and WebSocket bytes for Mongrel2 replies: behind Mongrel2 the handler writes the
 * response itself, status line and framing included.
 */
import { STATUS_CODES } from "node:http";
import type { HeaderPair } from "../types.js";

export const LAST_CHUNK = Buffer.from("0\r\n\r\n", "latin1");

/** Statuses that never have a body (RFC 9110 6.4.1), so no Content-Length is added. */
export function statusHasNoBody(status: number): boolean {
  return (status >= 100 && status < 200) || status === 204 || status === 304;
}

/** `HTTP/1.1 200 OK\r\nName: value\r\n...\r\n` (header values as latin1, as node:http writes them). */
export function httpHead(version: string, status: number, headers: readonly HeaderPair[]): Buffer {
  const reason = STATUS_CODES[status] ?? "Unknown";
  let text = `${version} ${status} ${reason}\r\n`;
  for (const [name, value] of headers) text += `${name}: ${value.replace(/[\r\n]/g, " ")}\r\n`;
  return Buffer.from(`${text}\r\n`, "latin1");
}

/** One chunk of chunked transfer-coding (an empty `data` would end the body: callers skip it). */
export function httpChunk(data: Uint8Array): Buffer {
  return Buffer.concat([
    Buffer.from(`${data.length.toString(16)}\r\n`, "latin1"),
    data,
    Buffer.from("\r\n"),
  ]);
}

/** An unmasked server-to-client WebSocket frame with FIN set (RFC 6455 5.2). */
export function webSocketFrame(opcode: number, payload: Uint8Array): Buffer {
  const n = payload.length;
  let head: Buffer;
  if (n < 126) {
    head = Buffer.from([0x80 | opcode, n]);
  } else if (n < 65_536) {
    head = Buffer.alloc(4);
    head.writeUInt16BE(n, 2);
    head[1] = 126;
  } else {
    head = Buffer.alloc(10);
    head.writeBigUInt64BE(BigInt(n), 2);
    head[1] = 127;
  }
  head[0] = 0x80 | opcode;
  return Buffer.concat([head, payload]);
}
