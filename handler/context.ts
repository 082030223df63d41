/**
 * What a handler app gets besides the request: where the request came from and how to answer
 * it later (from this process, or from any other through a Replier).
 */
import type { RequestMsg } from "../protocol/index.js";
import type { HandlerConnection } from "./connection.js";
import type { Exchange, ReplyAddress } from "./exchange.js";

/** Returned by an app that will answer later; see HandlerContext.defer(). */
export class Deferred {
  readonly deferred = true;
}
const DEFERRED = new Deferred();

export interface HandlerContext {
  /** Frontend id (the topic replies go to). */
  readonly frontendId: string;
  /** Connection id on that frontend (never reused during the frontend's life). */
  readonly connectionId: number;
  /** Request id on that frontend. */
  readonly requestId: number;
  /** The local port the request arrived on (the frontend listener's port). */
  readonly port: number;
  /** This handler's id. */
  readonly handlerId: string;
  /**
   * Everything a Replier needs to answer this request later, from any process. JSON-safe. It
   * holds the request's token: whoever has the address can answer, so share it only with
   * processes that should.
   */
  readonly address: ReplyAddress;
  /** 0 on first delivery; 1+ when re-sent after a handler was lost. */
  readonly attempt: number;
  /** The request message as the frontend sent it. */
  readonly message: RequestMsg;
  /** Aborted when the client disconnects or the frontend cancels the request. */
  readonly signal: AbortSignal;
  /** The low-level reply API for this request (head/write/end/close). */
  readonly exchange: Exchange;
  /** The connection this request came through (deliver to many, events). */
  readonly connection: HandlerConnection;
  /**
   * Answer later: claim the request now and free its concurrency slot. Return the result from
   * a fetch app (`return ctx.defer()`); a Node app simply does not end `res`.
   */
  defer(): Deferred;
}

/** One per request, so a class: its getters live on the prototype, not in every object. */
class Context implements HandlerContext {
  constructor(
    readonly exchange: Exchange,
    readonly connection: HandlerConnection,
  ) {}
  get frontendId(): string {
    return this.exchange.fid;
  }
  get connectionId(): number {
    return this.exchange.conn;
  }
  get requestId(): number {
    return this.exchange.req;
  }
  get port(): number {
    return this.exchange.request.port;
  }
  get handlerId(): string {
    return this.connection.hid;
  }
  get address(): ReplyAddress {
    return this.exchange.address;
  }
  get attempt(): number {
    return this.exchange.request.attempt ?? 0;
  }
  get message(): RequestMsg {
    return this.exchange.request;
  }
  get signal(): AbortSignal {
    return this.exchange.signal;
  }
  defer(): Deferred {
    this.exchange.defer();
    return DEFERRED;
  }
}

export function createContext(exchange: Exchange, connection: HandlerConnection): HandlerContext {
  return new Context(exchange, connection);
}

export function isDeferred(value: unknown): value is Deferred {
  return value instanceof Deferred;
}
