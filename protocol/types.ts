/**
 * Message types of protocol v2: one discriminated union per direction, so a `switch` on `kind`
 * is exhaustive. Field meanings, limits and examples are in SPEC.md.
 */

/** One header as received: name lower-cased, value as sent. Order and duplicates are kept. */
export type HeaderPair = [name: string, value: string];

/**
 * One addressee of a reply: a connection, the request on it being answered, and that request's
 * token (the capability to answer it, from the `request` message).
 */
export type Target = [conn: number, req: number, token: number];
/** Another name for Target: what a reply quotes to address one request. */
export type ReplyTarget = Target;

interface Base {
  v: number;
}

// ---------------------------------------------------------------- frontend -> handler

/** A parsed HTTP request, pushed (PULL side) to one handler of the route's group. */
export interface RequestMsg extends Base {
  kind: "request";
  /** Frontend id: the topic to publish replies under. */
  fid: string;
  conn: number;
  req: number;
  /** Random per request (the same on every attempt): replies, claims and credits quote it. */
  token: number;
  method: string;
  /** Request-target as received, without any `#fragment`, e.g. `/a%20b?x=1`. */
  target: string;
  /** Path of the target (of its path part in absolute form), still percent-encoded. */
  path: string;
  /** Query of the target, without the `?`; `""` if none. */
  query: string;
  /** `HTTP/1.1` or `HTTP/1.0`. */
  version: string;
  headers: HeaderPair[];
  remote: string;
  rport: number;
  /** The local port the request arrived on (the listener's port). */
  port: number;
  scheme: "http" | "https";
  /** Validated `uri-host [":" port]`: the absolute-form target's authority, else the Host header, or `""`. */
  host: string;
  /** The matched route prefix, e.g. `/api` (`""` for the root route). */
  route: string;
  /** Handler group name the route points to. */
  group: string;
  /** The whole body when it fits the inline limit (possibly empty). Absent when `stream`. */
  body?: Uint8Array;
  /** True when the body follows as `body` messages, after the handler grants credit. */
  stream?: boolean;
  /** Declared Content-Length of a streamed body, if any. */
  length?: number;
  /** Response body bytes the handler may send before waiting for `credit`; absent = no limit. */
  window?: number;
  /** Milliseconds the frontend waits for the first reply before answering 504. */
  timeout?: number;
  /** 0 for the first delivery, 1+ for re-deliveries after a handler was lost. */
  attempt?: number;
  /** `websocket` when this request asks for a WebSocket upgrade. */
  upgrade?: string;
}

/** A chunk of a streamed request body, sent on the events socket to the claiming handler. */
export interface BodyMsg extends Base {
  kind: "body";
  fid: string;
  conn: number;
  req: number;
  data: Uint8Array;
  /** True on the last chunk. */
  end?: boolean;
}

/** A whole WebSocket message from a client, to the handler that accepted the upgrade. */
export interface WsEventMsg extends Base {
  kind: "ws";
  fid: string;
  conn: number;
  req: number;
  data: Uint8Array;
  /** Binary message when true; text (UTF-8 bytes in `data`) when false. */
  binary: boolean;
}

/** The client of `conn` has gone; `req` is the request in progress on it, if any. */
export interface DisconnectMsg extends Base {
  kind: "disconnect";
  fid: string;
  conn: number;
  req?: number;
  /** WebSocket close code the client sent, if any. */
  code?: number;
  reason?: string;
}

/** The client drained `bytes` more of the response to `req`: the handler may send that many more. */
export interface CreditEventMsg extends Base {
  kind: "credit";
  fid: string;
  conn: number;
  req: number;
  bytes: number;
}

/** Stop working on `req`: its client was answered otherwise (timeout, claimed elsewhere, gone). */
export interface CancelMsg extends Base {
  kind: "cancel";
  fid: string;
  conn: number;
  req: number;
  reason: string;
}

export type ToHandlerMsg =
  RequestMsg | BodyMsg | WsEventMsg | DisconnectMsg | CreditEventMsg | CancelMsg;

// ---------------------------------------------------------------- handler -> frontend

/** A handler is alive and ready. Repeated as `heartbeat`, which has the same fields. */
export interface HelloMsg extends Base {
  kind: "hello" | "heartbeat";
  /** Handler id: unique per process; the frontend publishes events for it under this topic. */
  hid: string;
  /** 16..64 random bytes per handler process; the frontend binds `hid` to it. */
  secret: Uint8Array;
  /** Requests this handler takes at once (1..65,536). */
  capacity: number;
  /** Requests it holds now. */
  inflight: number;
  /** Milliseconds between its heartbeats (100..60,000); absent = the group's configured interval. */
  interval?: number;
  /** Most requests it takes in one PUSH message (1..1,024); absent = 1. */
  batch?: number;
  /** Free text naming the implementation, for logs (`ferry-ts/0.1`, `ferry-wsgi/0.1`). */
  agent?: string;
}

/** The handler holds request `req`: from now on, events for it go to topic `hid`. */
export interface ClaimMsg extends Base {
  kind: "claim";
  hid: string;
  conn: number;
  req: number;
  token: number;
}

interface ReplyBase extends Base {
  hid: string;
  /** One or more addressees (`[conn, req, token]` triples). */
  to: Target[];
}

/** Status and headers; may carry the whole body (`body`) and finish the response (`end`). */
export interface HeadMsg extends ReplyBase {
  kind: "head";
  status: number;
  /** The app's reason phrase (at most 512 bytes); used when it is a valid RFC 9112 reason-phrase. */
  reason?: string;
  headers: HeaderPair[];
  body?: Uint8Array;
  end?: boolean;
}

/** Response body bytes. */
export interface DataMsg extends ReplyBase {
  kind: "data";
  data: Uint8Array;
  end?: boolean;
}

/** The response is complete. */
export interface EndMsg extends ReplyBase {
  kind: "end";
}

/** Close the connection (after what was already sent). For WebSockets: a close frame. */
export interface CloseMsg extends ReplyBase {
  kind: "close";
  code?: number;
  reason?: string;
}

/** A whole WebSocket message to send to the client(s). */
export interface WsReplyMsg extends ReplyBase {
  kind: "ws";
  data: Uint8Array;
  binary: boolean;
}

/** The request failed; the frontend answers with the status mapped from `code` (wire-errors.ts). */
export interface ErrorMsg extends ReplyBase {
  kind: "error";
  code: string;
  /** For logs only: never sent to the client. */
  message: string;
  status?: number;
}

/** The handler is draining: send it nothing new; it finishes what it claimed, then exits. */
export interface GoodbyeMsg extends Base {
  kind: "goodbye";
  hid: string;
  secret: Uint8Array;
  inflight?: number;
}

/** The handler consumed `bytes` of the streamed body of `req`: the frontend may send that many more. */
export interface CreditReplyMsg extends Base {
  kind: "credit";
  hid: string;
  conn: number;
  req: number;
  token: number;
  bytes: number;
}

export type ToFrontendMsg =
  | HelloMsg
  | ClaimMsg
  | HeadMsg
  | DataMsg
  | EndMsg
  | CloseMsg
  | WsReplyMsg
  | ErrorMsg
  | GoodbyeMsg
  | CreditReplyMsg;

/** Messages addressed with a `to` list. */
export type ReplyMsg = HeadMsg | DataMsg | EndMsg | CloseMsg | WsReplyMsg | ErrorMsg;

/** Input to the encoders: `v` is filled in. */
export type Draft<M> = M extends Base ? Omit<M, "v"> & { v?: number } : never;
