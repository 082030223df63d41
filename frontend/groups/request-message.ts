/** The `request` message for an exchange: built once per delivery, encoded once. */
import {
  encodeToHandler,
  PROTOCOL_VERSION,
  type HeaderPair,
  type RequestMsg,
} from "../../protocol/index.js";
import type { Exchange } from "../exchange.js";

const EMPTY = new Uint8Array(0);

/** `rawHeaders` is [name, value, name, value...] in arrival order; names are lower-cased. */
export function headerPairs(raw: readonly string[]): HeaderPair[] {
  const pairs: HeaderPair[] = new Array<HeaderPair>(raw.length >> 1);
  for (let i = 0, j = 0; i < raw.length; i += 2, j++)
    pairs[j] = [raw[i]!.toLowerCase(), raw[i + 1]!];
  return pairs;
}

/** The request as a protocol message; both group protocols start from it. */
export function requestMsgOf(ex: Exchange, fid: string, group: string): RequestMsg {
  const msg = baseMsg(ex, fid, group);
  msg.body = ex.body ?? EMPTY;
  if (ex.req.headers.upgrade?.toLowerCase() === "websocket") msg.upgrade = "websocket";
  return msg;
}

/**
 * The fields every request has, in one object literal: optional fields are added by the caller,
 * never deleted (a deleted property turns the object into a slow dictionary for the encoder).
 */
function baseMsg(ex: Exchange, fid: string, group: string): RequestMsg {
  const req = ex.req;
  const url = req.url ?? "/";
  // A fragment is the client's own: it never goes to a handler, in `target` or elsewhere.
  const hash = url.indexOf("#");
  const originForm = hash === -1 ? url : url.slice(0, hash);
  const q = originForm.indexOf("?");
  const socket = ex.conn.socket;
  return {
    v: PROTOCOL_VERSION,
    kind: "request",
    fid,
    conn: ex.conn.id,
    req: ex.id,
    token: ex.token,
    method: req.method ?? "GET",
    target: ex.absoluteTarget ?? originForm,
    path: q === -1 ? originForm : originForm.slice(0, q),
    query: q === -1 ? "" : originForm.slice(q + 1),
    version: req.httpVersion === "1.0" ? "HTTP/1.0" : "HTTP/1.1",
    headers: headerPairs(req.rawHeaders),
    remote: socket.remoteAddress ?? "",
    rport: socket.remotePort ?? 0,
    port: socket.localPort ?? 0,
    scheme: (socket as { encrypted?: boolean }).encrypted ? "https" : "http",
    host: req.headers.host ?? "",
    route: ex.route?.pattern ?? ex.route?.prefix ?? "",
    group,
  };
}

export function encodeRequest(ex: Exchange, fid: string, group: string, timeout: number): Buffer {
  const msg = baseMsg(ex, fid, group);
  const upload = ex.upload;
  if (upload !== undefined) {
    msg.stream = true;
    if (upload.length !== undefined) msg.length = upload.length;
  } else msg.body = ex.body ?? EMPTY;
  if (ex.window > 0) msg.window = ex.window;
  msg.timeout = timeout;
  if (ex.attempt > 0) msg.attempt = ex.attempt;
  // Only handshakes the frontend checked and can complete are offered as upgrades.
  if (ex.upgrade !== undefined) msg.upgrade = "websocket";
  return encodeToHandler(msg);
}
