/**
 * Requests Node's parser refused (bad request line, bad header, CL+TE, duplicate Content-Length,
 * bad chunk size, bare LF, NUL, oversized head, header timeout): answered with a 4xx and closed,
 * never seen by a handler.
 */
import type { Socket } from "node:net";
import { FerryErrors, type FerryErrorCode } from "../errors.js";

const REASONS: Record<number, string> = {
  400: "Bad Request",
  408: "Request Timeout",
  431: "Request Header Fields Too Large",
};

export function clientErrorCode(err: NodeJS.ErrnoException): FerryErrorCode | undefined {
  switch (err.code) {
    case "ECONNRESET":
    case "EPIPE":
      return undefined; // the client left: nothing to answer
    case "HPE_HEADER_OVERFLOW":
      return "FERRY_HEADERS_TOO_LARGE";
    case "ERR_HTTP_REQUEST_TIMEOUT":
    case "HPE_HEADERS_TIMEOUT":
      return "FERRY_HEADER_TIMEOUT";
    default:
      return "FERRY_BAD_REQUEST";
  }
}

/**
 * Answer a refused request and close. When responses are still owed on this connection (a bad
 * request pipelined behind good ones), a raw answer would jump the queue: close instead.
 */
export function answerClientError(socket: Socket, code: FerryErrorCode, busy: boolean): void {
  if (busy || !socket.writable) {
    socket.destroy();
    return;
  }
  const status = FerryErrors[code].status ?? 400;
  const body = JSON.stringify({ error: { code, message: FerryErrors[code].cause } }) + "\n";
  socket.end(
    `HTTP/1.1 ${status} ${REASONS[status] ?? "Bad Request"}\r\n` +
      "content-type: application/json; charset=utf-8\r\n" +
      `content-length: ${Buffer.byteLength(body)}\r\n` +
      `x-ferry-error: ${code}\r\n` +
      "connection: close\r\n\r\n" +
      body,
  );
  socket.destroySoon();
}
