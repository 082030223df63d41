/** What an Exchange needs from the connection that received it. */
import type { Exchange, ExchangeState } from "./exchange.js";
import type { ReplyWriter } from "./reply-writer.js";
import type { WebSocketTable } from "./websocket/table.js";

export interface ExchangeOwner {
  readonly hid: string;
  readonly writer: ReplyWriter;
  /** WebSockets accepted on this connection, where their events go. */
  readonly websockets: WebSocketTable;
  /** The replies socket is backed up: writers should wait for whenUncongested(). */
  readonly congested: boolean;
  whenUncongested(): Promise<void>;
  /** Flush `exchange` at the end of this turn of the event loop. */
  scheduleFlush(exchange: Exchange): void;
  /** The exchange was deferred: it no longer counts against the concurrency limit. */
  deferred(exchange: Exchange): void;
  /** The exchange is done (answered, failed, closed or aborted). */
  finished(exchange: Exchange, previous: ExchangeState): void;
}
