/**
 * The HTTP/1.x request head a Node `http.Server` parses to build a genuine IncomingMessage.
 * The body length is rewritten to what the handler actually holds (the frontend already
 * de-chunked it); Expect and Upgrade belong to the frontend and are left out.
 */
import type { RequestMsg } from "../../protocol/index.js";

const DROP = new Set([
  "content-length",
  "transfer-encoding",
  "expect",
  "upgrade",
  "http2-settings",
]);

/** `bodyLength` undefined: the body follows chunk-encoded (streamed, length unknown). */
export function requestHead(msg: RequestMsg, bodyLength: number | undefined): Buffer {
  let head = `${msg.method} ${msg.target} ${msg.version === "HTTP/1.0" ? "HTTP/1.0" : "HTTP/1.1"}\r\n`;
  let framed = false;
  let hasHost = false;
  const framing =
    bodyLength === undefined
      ? "transfer-encoding: chunked\r\n"
      : `content-length: ${bodyLength}\r\n`;
  for (const [name, value] of msg.headers) {
    if (DROP.has(name)) {
      if (!framed && (name === "content-length" || name === "transfer-encoding")) {
        head += framing;
        framed = true;
      }
      continue;
    }
    if (name === "host") hasHost = true;
    head += `${name}: ${value}\r\n`;
  }
  if (!framed && (bodyLength === undefined || bodyLength > 0)) head += framing;
  if (!hasHost && msg.version !== "HTTP/1.0") head += `host: ${msg.host || "localhost"}\r\n`;
  return Buffer.from(head + "\r\n", "latin1");
}
