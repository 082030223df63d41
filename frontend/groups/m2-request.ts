/** The Mongrel2 request frame for an exchange, as Mongrel2 1.12 would send it. */
import { PROTOCOL_VERSION, type RequestMsg } from "../../protocol/index.js";
import {
  encodeM2Request,
  m2RequestFromFerry,
  type M2HeaderFormat,
} from "../../protocol/mongrel2/index.js";
import type { Exchange } from "../exchange.js";
import { headerPairs } from "./request-message.js";

const EMPTY = new Uint8Array(0);

export function requestMsgOf(ex: Exchange, fid: string, group: string): RequestMsg {
  const req = ex.req;
  const target = req.url ?? "/";
  const q = target.indexOf("?");
  const socket = ex.conn.socket;
  const upgrade = req.headers.upgrade?.toLowerCase() === "websocket" ? "websocket" : undefined;
  return {
    v: PROTOCOL_VERSION,
    kind: "request",
    fid,
    conn: ex.conn.id,
    req: ex.id,
    method: req.method ?? "GET",
    target,
    path: q === -1 ? target : target.slice(0, q),
    query: q === -1 ? "" : target.slice(q + 1),
    version: req.httpVersion === "1.0" ? "HTTP/1.0" : "HTTP/1.1",
    headers: headerPairs(req.rawHeaders),
    remote: socket.remoteAddress ?? "",
    rport: socket.remotePort ?? 0,
    scheme: (socket as { encrypted?: boolean }).encrypted ? "https" : "http",
    host: req.headers.host ?? "",
    route: ex.route?.pattern ?? ex.route?.prefix ?? "",
    group,
    body: ex.body ?? EMPTY,
    ...(upgrade !== undefined && { upgrade }),
  };
}

/** `uuid` = the group's sendIdent: handlers echo it at the start of every reply. */
export function encodeM2RequestFor(
  ex: Exchange,
  uuid: string,
  group: string,
  format: M2HeaderFormat,
): Buffer {
  return encodeM2Request(
    m2RequestFromFerry(requestMsgOf(ex, uuid, group), { uuid, format }),
    format,
  );
}
