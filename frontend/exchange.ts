/**
 * One HTTP request and its response while the frontend holds it: what the group needs to deliver
 * it to a handler and what the responder needs to answer it. A class (not ad-hoc objects) so the
 * hot path sees one shape.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Connection } from "./connections.js";
import type { HandlerGroup } from "./groups/types.js";
import type { RouteMatch } from "./routes.js";
import type { Upload } from "./http/upload.js";
import type { PendingUpgrade } from "./ws/types.js";

export interface ExchangeObserver {
  /** Called once, when the exchange is done (answered, failed, or its client left). */
  exchangeDone(ex: Exchange): void;
}

export class Exchange {
  /** The group the route leads to, once the exchange is handed to it. */
  group: HandlerGroup | undefined = undefined;
  /** Set by the group while it holds the exchange (claimer, deadlines...). */
  claimer: string | undefined = undefined;
  attempt = 0;
  /**
   * The request's token (random, set when it is first handed to a group): the same on every
   * attempt; replies, claims and credits for it must quote it.
   */
  token = 0;
  /** Re-sends because a requests-socket peer disconnected (bounded: see FerryGroup.peerGone). */
  fastResends = 0;
  /** performance.now() deadline of the current wait (queue wait, then reply timeout). */
  deadline = 0;
  /** The encoded request message, kept until done in case it must be re-sent. */
  payload: Buffer | undefined = undefined;
  /** Request body read so far (inline bodies only). */
  body: Buffer | undefined = undefined;
  bodyChunks: Buffer[] | undefined = undefined;
  bodyLength = 0;
  /** A body past the inline limit, streamed to the claiming handler under its credit. */
  upload: Upload | undefined = undefined;
  /** Response body bytes the handler may send ahead of `credit` (0 = no window). */
  window = 0;
  /** Response body bytes flushed to the client's socket, and how many of them were credited. */
  drained = 0;
  credited = 0;
  /** Response accounting, for the access log. */
  status = 0;
  bytes = 0;
  headSent = false;
  /** The Content-Length a streamed response declared (-1: none); no more bytes are sent. */
  declared = -1;
  done = false;
  /** The client went away before the response finished. */
  aborted = false;
  /** Stable error code when the frontend answered instead of a handler. */
  error: string | undefined = undefined;
  /** A WebSocket handshake waiting for its handler's 101 (ws/upgrade.ts). */
  upgrade: PendingUpgrade | undefined = undefined;
  /**
   * An absolute-form target as the client sent it (without its fragment): handlers get it as
   * `target`, while `req.url` holds the origin-form every route kind works with.
   */
  absoluteTarget: string | undefined = undefined;
  /** Static and proxy routes: aborted when the client leaves (frontend/http/local-targets.ts). */
  local: AbortController | undefined = undefined;

  constructor(
    readonly id: number,
    readonly conn: Connection,
    readonly req: IncomingMessage,
    readonly res: ServerResponse,
    readonly started: number,
    readonly route: RouteMatch | undefined,
    readonly observer: ExchangeObserver,
  ) {}

  get method(): string {
    return this.req.method ?? "GET";
  }

  get target(): string {
    return this.req.url ?? "/";
  }

  /** Safe to deliver twice (RFC 9110 idempotent methods). */
  get idempotent(): boolean {
    const m = this.req.method;
    return m === "GET" || m === "HEAD" || m === "OPTIONS" || m === "PUT" || m === "DELETE";
  }
}
