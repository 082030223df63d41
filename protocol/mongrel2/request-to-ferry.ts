/**
 * Handler side: a Mongrel2 request -> what it means for a Ferry handler. HTTP requests become
 * Ferry `request` messages (fid = the sender UUID, conn = the Mongrel2 id); `@*` notices,
 * WebSocket frames, upload notices and streamed chunks get their own event types.
 */
import { PROTOCOL_VERSION } from "../kinds.js";
import type { DisconnectMsg, HeaderPair, RequestMsg } from "../types.js";
import { parseJson, type JsonValue } from "./json.js";
import { m2Header, type M2Request } from "./request.js";

export type M2Event =
  | { type: "request"; request: RequestMsg }
  /** METHOD WEBSOCKET_HANDSHAKE: reply 101 with `Sec-WebSocket-Accept: accept` to take it. */
  | { type: "websocket-handshake"; request: RequestMsg; accept: string }
  /** METHOD WEBSOCKET: one client frame; `opcode` from FLAGS (1 text, 2 binary, 8 close, 9 ping, 10 pong). */
  | { type: "websocket"; fid: string; conn: number; opcode: number; fin: boolean; data: Uint8Array }
  | { type: "disconnect"; message: DisconnectMsg }
  /** `@*` DOWNLOAD_CREDITS: the client drained this many more bytes. */
  | { type: "credits"; fid: string; conn: number; bytes: number }
  /** x-mongrel2-upload-start (body still arriving in `file`) / -done (complete). */
  | { type: "upload"; stage: "start" | "done"; file: string; request: RequestMsg }
  /** UPLOAD_STREAM chunk after the first message: `offset` = bytes of the body before `data`. */
  | { type: "stream"; fid: string; conn: number; offset: number; done: boolean; data: Uint8Array }
  /** A JSON/XML socket message (METHOD JSON or XML) other than the `@*` notices. */
  | { type: "message"; fid: string; conn: number; path: string; method: string; data: Uint8Array };

export interface M2EventOptions {
  /** The Ferry request id to give this request (Mongrel2 has none; the receiver counts). */
  req: number;
  /** Group name to put in `request.group`. */
  group?: string;
  /** The `request.token` (Mongrel2 has none; replies to Mongrel2 never quote it). Default 0. */
  token?: number;
}

/** Mongrel2 does not say which port it listens on: the Host header's port, else the scheme's. */
function portOf(host: string | undefined, scheme: "http" | "https"): number {
  const m = host === undefined ? null : /:(\d{1,5})$/.exec(host);
  const port = m ? Number(m[1]) : NaN;
  return port > 0 && port <= 65_535 ? port : scheme === "https" ? 443 : 80;
}

/** Mongrel2 lower-cases client header names, so a name with an upper-case letter is a server key. */
export function isServerKey(name: string): boolean {
  return /[A-Z]/.test(name);
}

/** Client headers as Ferry pairs (repeats expanded, server keys left out). */
export function ferryHeaders(req: M2Request): HeaderPair[] {
  const pairs: HeaderPair[] = [];
  for (const [name, value] of req.headers) {
    if (isServerKey(name)) continue;
    if (typeof value === "string") pairs.push([name, value]);
    else for (const v of value) pairs.push([name, v]);
  }
  return pairs;
}

/** The Ferry `request` for an HTTP request from Mongrel2. */
export function ferryRequestFromM2(req: M2Request, options: M2EventOptions): RequestMsg {
  const h = (name: string) => m2Header(req.headers, name);
  const uri = h("URI") ?? req.path;
  const q = uri.indexOf("?");
  const scheme = h("URL_SCHEME") === "https" ? "https" : "http";
  const method = h("METHOD") ?? "GET";
  return {
    v: PROTOCOL_VERSION,
    kind: "request",
    fid: req.uuid,
    conn: req.id,
    req: options.req,
    token: options.token ?? 0,
    method: method === "WEBSOCKET_HANDSHAKE" ? "GET" : method,
    target: uri,
    path: h("PATH") ?? (q < 0 ? uri : uri.slice(0, q)),
    query: h("QUERY") ?? (q < 0 ? "" : uri.slice(q + 1)),
    version: h("VERSION") ?? "HTTP/1.1",
    headers: ferryHeaders(req),
    remote: h("REMOTE_ADDR") ?? "",
    rport: 0,
    port: portOf(h("host"), scheme),
    scheme,
    host: h("host") ?? "",
    route: h("PATTERN") ?? "",
    group: options.group ?? "",
    body: req.body,
    ...(method === "WEBSOCKET_HANDSHAKE" && { upgrade: "websocket" }),
  };
}

function jsonType(body: Uint8Array): string | undefined {
  try {
    const value: JsonValue = parseJson(body);
    return value !== null &&
      typeof value === "object" &&
      !Array.isArray(value) &&
      typeof value.type === "string"
      ? value.type
      : undefined;
  } catch {
    return undefined; // a JSON socket message need not be valid JSON for Mongrel2 to pass it on
  }
}

/** Classify a decoded Mongrel2 request. */
export function m2EventOf(req: M2Request, options: M2EventOptions): M2Event {
  const h = (name: string) => m2Header(req.headers, name);
  const fid = req.uuid;
  const conn = req.id;
  const method = h("METHOD");
  const stream = h("UPLOAD_STREAM");
  if (stream !== undefined && h("PATH") === undefined) {
    const done = h("UPLOAD_STREAM_DONE") === "1";
    return { type: "stream", fid, conn, offset: Number(stream) || 0, done, data: req.body };
  }
  if (method === "JSON" || method === "XML") {
    const type = req.path === "@*" ? jsonType(req.body) : undefined;
    if (type === "disconnect") {
      return {
        type: "disconnect",
        message: { v: PROTOCOL_VERSION, kind: "disconnect", fid, conn },
      };
    }
    const credits = h("DOWNLOAD_CREDITS");
    if (type === "credits" && credits !== undefined) {
      return { type: "credits", fid, conn, bytes: Number(credits) || 0 };
    }
    return { type: "message", fid, conn, path: req.path, method, data: req.body };
  }
  if (method === "WEBSOCKET") {
    const flags = Number.parseInt(h("FLAGS") ?? "0x80", 16);
    return {
      type: "websocket",
      fid,
      conn,
      opcode: flags & 0x0f,
      fin: (flags & 0x80) !== 0,
      data: req.body,
    };
  }
  const request = ferryRequestFromM2(req, options);
  if (method === "WEBSOCKET_HANDSHAKE") {
    return {
      type: "websocket-handshake",
      request,
      accept: Buffer.from(req.body).toString("latin1"),
    };
  }
  // Mongrel2 passes these headers on from clients when it keeps a body inline (seen on 1.12.2),
  // so they count only where it spooled one: an empty body for a positive content-length. There
  // it writes -start on both notices and -done on the second; a -done that differs from -start
  // on the first was sent by the client.
  const start = h("x-mongrel2-upload-start");
  const spooled = start !== undefined && req.body.length === 0 && Number(h("content-length")) > 0;
  if (!spooled) return { type: "request", request };
  const done = h("x-mongrel2-upload-done");
  if (done === start) return { type: "upload", stage: "done", file: done, request };
  return { type: "upload", stage: "start", file: start, request };
}
