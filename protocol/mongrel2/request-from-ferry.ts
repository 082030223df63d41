/**
 * Frontend side: Ferry's parsed request -> the Mongrel2 request a Mongrel2 1.12 server would send
 * for it (server keys, x-forwarded-for, repeated headers as arrays, WebSocket handshake and frames,
 * `@*` disconnect and credit notices, upload headers).
 */
import { createHash } from "node:crypto";
import type { RequestMsg } from "../types.js";
import type { M2HeaderFormat, M2Headers, M2HeaderValue, M2Request } from "./request.js";

export interface M2RequestOptions {
  /** The group's `sendIdent` (Mongrel2's `send_ident`). */
  uuid: string;
  /** Route pattern for PATTERN; defaults to the request's matched route (`/` for the root). */
  pattern?: string;
  /** Header order of the wire format: tnetstring headers are written reversed, as Mongrel2 does. */
  format?: M2HeaderFormat;
}

/** Mongrel2 names of the WebSocket opcodes it forwards (FLAGS = 0x80 | opcode). */
export const WsOpcode = {
  Continuation: 0,
  Text: 1,
  Binary: 2,
  Close: 8,
  Ping: 9,
  Pong: 10,
} as const;

const WS_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

/** Sec-WebSocket-Accept for a client's Sec-WebSocket-Key (RFC 6455 section 4.2.2). */
export function webSocketAccept(key: string): string {
  return createHash("sha1")
    .update(key.trim() + WS_GUID)
    .digest("base64");
}

/** Split a request-target into Mongrel2's PATH, QUERY and FRAGMENT (URI = target without fragment). */
export function splitTarget(target: string): {
  uri: string;
  path: string;
  query?: string;
  fragment?: string;
} {
  const hash = target.indexOf("#");
  const uri = hash < 0 ? target : target.slice(0, hash);
  const fragment = hash < 0 ? undefined : target.slice(hash + 1);
  const q = uri.indexOf("?");
  const path = q < 0 ? uri : uri.slice(0, q);
  const query = q < 0 ? undefined : uri.slice(q + 1);
  return {
    uri,
    path,
    ...(query !== undefined && { query }),
    ...(fragment !== undefined && { fragment }),
  };
}

/** Client headers grouped Mongrel2's way: first-seen order, repeats as arrays; x-forwarded-for replaced. */
export function groupHeaders(
  pairs: readonly (readonly [string, string])[],
  remote: string,
): M2Headers {
  const grouped = new Map<string, M2HeaderValue>([["x-forwarded-for", remote]]);
  for (const [rawName, value] of pairs) {
    const name = rawName.toLowerCase();
    if (name === "x-forwarded-for") continue; // Mongrel2 overwrites it with the peer address
    const seen = grouped.get(name);
    if (seen === undefined) grouped.set(name, value);
    else grouped.set(name, typeof seen === "string" ? [seen, value] : [...seen, value]);
  }
  return [...grouped.entries()];
}

function ordered(headers: M2Headers, format: M2HeaderFormat | undefined): M2Headers {
  return format === "tnetstring" ? headers.slice().reverse() : headers;
}

/**
 * The Mongrel2 request for a Ferry request. JSON: PATH, the client's headers (x-forwarded-for
 * first), METHOD VERSION URI QUERY FRAGMENT PATTERN URL_SCHEME REMOTE_ADDR (absent QUERY and
 * FRAGMENT omitted). Tnetstring: Mongrel2 writes its dict back to front, so the order differs.
 * A WebSocket upgrade becomes METHOD `WEBSOCKET_HANDSHAKE` with the accept key as body.
 */
export function m2RequestFromFerry(msg: RequestMsg, options: M2RequestOptions): M2Request {
  const target = splitTarget(msg.target);
  const wsKey = msg.headers.find(([n]) => n.toLowerCase() === "sec-websocket-key")?.[1];
  const handshake = msg.upgrade === "websocket" && wsKey !== undefined;
  const server: M2Headers = [
    ["VERSION", msg.version],
    ["URI", target.uri],
  ];
  if (target.query !== undefined) server.push(["QUERY", target.query]);
  if (target.fragment !== undefined) server.push(["FRAGMENT", target.fragment]);
  server.push(["PATTERN", options.pattern ?? (msg.route === "" ? "/" : msg.route)]);
  server.push(["URL_SCHEME", msg.scheme]);
  const method: [string, string] = ["METHOD", handshake ? "WEBSOCKET_HANDSHAKE" : msg.method];
  const remote: [string, string] = ["REMOTE_ADDR", msg.remote];
  const client = groupHeaders(msg.headers, msg.remote);
  const path: [string, string] = ["PATH", target.path];
  // Mongrel2's two writers order keys differently; both orders are reproduced byte for byte.
  const headers: M2Headers =
    options.format === "tnetstring"
      ? [...client, path, ...server, method, remote].reverse()
      : [path, ...client, method, ...server, remote];
  const body = handshake ? Buffer.from(webSocketAccept(wsKey)) : (msg.body ?? new Uint8Array(0));
  return { uuid: options.uuid, id: msg.conn, path: target.path, headers, body };
}

function setHeader(headers: M2Headers, name: string, value: string, after: string): M2Headers {
  const out = headers.filter(([n]) => n !== name);
  const at = out.findIndex(([n]) => n === after);
  out.splice(at < 0 ? 0 : at + 1, 0, [name, value]);
  return out;
}

/**
 * One WebSocket frame from the client as Mongrel2 sends it: the handshake's headers with
 * METHOD `WEBSOCKET` and FLAGS `0x8N` (upper-case hex, FIN always set), body = unmasked payload.
 */
export function m2WebSocketFrame(
  handshake: M2Request,
  opcode: number,
  data: Uint8Array,
): M2Request {
  const flags = `0x${(0x80 | (opcode & 0x0f)).toString(16).toUpperCase()}`;
  let headers = setHeader(handshake.headers, "FLAGS", flags, "x-forwarded-for");
  headers = headers.map(([n, v]) => [n, n === "METHOD" ? "WEBSOCKET" : v]);
  return { ...handshake, headers, body: data };
}

/** The `@*` message telling a handler connection `id` closed (exactly Mongrel2's bytes). */
export function m2Disconnect(uuid: string, id: number): M2Request {
  return {
    uuid,
    id,
    path: "@*",
    headers: [["METHOD", "JSON"]],
    body: Buffer.from('{"type":"disconnect"}'),
  };
}

/** The `@*` message granting download credits (Mongrel2 `download.flow_control`). */
export function m2Credits(
  uuid: string,
  id: number,
  credits: number,
  format?: M2HeaderFormat,
): M2Request {
  const headers: M2Headers = [
    ["METHOD", "JSON"],
    ["DOWNLOAD_CREDITS", String(credits)],
  ];
  return {
    uuid,
    id,
    path: "@*",
    headers: ordered(headers, format),
    body: Buffer.from('{"type":"credits"}'),
  };
}

/**
 * Upload notices for a body too large to inline (Mongrel2 `limits.content_length`): first the
 * request with `x-mongrel2-upload-start: FILE` and an empty body, then again with
 * `x-mongrel2-upload-done: FILE` added once the file is complete.
 */
export function m2UploadNotice(
  request: M2Request,
  stage: "start" | "done",
  file: string,
): M2Request {
  let headers = setHeader(request.headers, "x-mongrel2-upload-start", file, "x-forwarded-for");
  if (stage === "done")
    headers = setHeader(headers, "x-mongrel2-upload-done", file, "x-forwarded-for");
  return { ...request, headers, body: new Uint8Array(0) };
}
