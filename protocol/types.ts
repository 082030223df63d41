/**
 * Message types of protocol v1: one discriminated union per direction, so a `switch` on `kind`
 * is exhaustive. Field meanings, limits and examples are in SPEC.md.
 */

/** One header as received: name lower-cased, value as sent. Order and duplicates are kept. */
export type HeaderPair = [name: string, value: string];

/** One addressee of a reply: a connection and the request on it being answered. */
export type Target = [conn: number, req: number];

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
  method: string;
  /** Request-target as received, e.g. `/a%20b?x=1`. */
  target: string;
  /** Target before `?`, still percent-encoded. */
  path: string;
  /** Target after the first `?`, without it; `""` if none. */
  query: string;
  /** `HTTP/1.1` or `HTTP/1.0`. */
  version: string;
  headers: HeaderPair[];
  remote: string;
  rport: number;
  scheme: "http" | "https";
  /** Host header value (or `""` if absent). */
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
  /** Requests this handler takes at once. */
  capacity: number;
  /** Requests it holds now. */
  inflight: number;
  /** Milliseconds between its heartbeats; absent = the group's configured interval. */
  interval?: number;
  /** Free text naming the implementation, for logs (`ferry-ts/0.1`, `ferry-wsgi/0.1`). */
  agent?: string;
}

/** The handler holds request `req`: from now on, events for it go to topic `hid`. */
export interface ClaimMsg extends Base {
  kind: "claim";
  hid: string;
  conn: number;
  req: number;
}

interface ReplyBase extends Base {
  hid: string;
  /** One or more addressees (`[conn, req]` pairs). */
  to: Target[];
}

/** Status and headers; may carry the whole body (`body`) and finish the response (`end`). */
export interface HeadMsg extends ReplyBase {
  kind: "head";
  status: number;
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
  message: string;
  status?: number;
}

/** The handler is draining: send it nothing new; it finishes what it claimed, then exits. */
export interface GoodbyeMsg extends Base {
  kind: "goodbye";
  hid: string;
  inflight?: number;
}

/** The handler consumed `bytes` of the streamed body of `req`: the frontend may send that many more. */
export interface CreditReplyMsg extends Base {
  kind: "credit";
  hid: string;
  conn: number;
  req: number;
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
