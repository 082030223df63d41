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
  const req = ex.req;
  const url = req.url ?? "/";
  // A fragment is the client's own: it never goes to a handler, in `target` or elsewhere.
  const hash = url.indexOf("#");
  const originForm = hash === -1 ? url : url.slice(0, hash);
  const q = originForm.indexOf("?");
  const socket = ex.conn.socket;
  const upgrade = req.headers.upgrade?.toLowerCase() === "websocket" ? "websocket" : undefined;
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
    body: ex.body ?? EMPTY,
    ...(upgrade !== undefined && { upgrade }),
  };
}

export function encodeRequest(ex: Exchange, fid: string, group: string, timeout: number): Buffer {
  const msg = requestMsgOf(ex, fid, group);
  // Only handshakes the frontend checked and can complete are offered as upgrades.
  if (ex.upgrade === undefined) delete msg.upgrade;
  const upload = ex.upload;
  if (upload !== undefined) {
    delete msg.body;
    msg.stream = true;
    if (upload.length !== undefined) msg.length = upload.length;
  }
  if (ex.window > 0) msg.window = ex.window;
  msg.timeout = timeout;
  if (ex.attempt > 0) msg.attempt = ex.attempt;
  return encodeToHandler(msg);
}
