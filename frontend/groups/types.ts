/**
 * The contract between the frontend and one handler group's wire protocol. The frontend parses
 * HTTP, routes, reads inline bodies and owns connections; a group turns exchanges into messages
 * for its handlers and their replies into responses (through the Responder). Each protocol is
 * one file here (`ferry.ts`, later `mongrel2.ts`) plus one line in `index.ts`.
 */
import type { EventEmitter } from "node:events";
import type { GroupConfig } from "../config/schema.js";
import type { ConnectionTable } from "../connections.js";
import type { Exchange } from "../exchange.js";
import type { Counters } from "../metrics.js";
import type { Responder } from "../http/respond.js";
import type { Transport } from "../transport/types.js";
import type { WebSocketGateway } from "../ws/gateway.js";

export interface HandlerGroup {
  readonly name: string;
  readonly protocol: string;
  /** Largest request body delivered inline. */
  readonly inlineBodyLimit: number;
  /** Larger bodies are streamed (`exchange.upload`); false: they get 413. */
  readonly streamsBodies: boolean;
  /** Bind the group's sockets and start receiving. */
  open(): Promise<void>;
  /**
   * Whether a request sent now has a handler to go to. False means the frontend answers 503 at
   * once (a protocol without liveness messages may always say true).
   */
  hasLiveHandler(): boolean;
  /**
   * Take an exchange whose inline body is complete. From here the group answers it, one way or
   * another (reply, queue-full 503, 504, 502...), through the Responder.
   */
  dispatch(ex: Exchange): void;
  /** The exchange's client left before its response finished: forget it, tell its handler. */
  abandon(ex: Exchange): void;
  /** The frontend answered the exchange itself (e.g. 413 mid-upload): forget it, cancel its handler. */
  drop(ex: Exchange, reason: string): void;
  /** The client drained `bytes` more of the exchange's response: let its handler send more. */
  credit(ex: Exchange, bytes: number): void;
  /** Housekeeping, a few times per second: timeouts, queue expiry, lost handlers. */
  tick(now: number): void;
  /** Exchanges the group holds (queued, dispatched, or being answered). */
  readonly inflight: number;
  /** Snapshot for /health and logs. */
  status(): GroupStatus;
  /** Close sockets; pending exchanges should have been drained or answered first. */
  close(): Promise<void>;
}

export interface GroupStatus {
  name: string;
  protocol: string;
  live: number;
  inflight: number;
  queued: number;
}

/** What every group gets from the frontend. */
export interface GroupContext {
  /** This frontend's id: the topic replies come back under. Unique per process start. */
  readonly fid: string;
  readonly transport: Transport;
  readonly connections: ConnectionTable;
  readonly responder: Responder;
  readonly counters: Counters;
  /** Open WebSockets (ferry groups route `ws`/`close` replies and handler loss to it). */
  readonly websockets: WebSocketGateway;
  /**
   * Library events (the process logs them): `handler-up` {group, hid, agent}, `handler-lost`
   * {group, hid, reason, resent, failed}, `handler-left` (the same, for a handler that said
   * goodbye and finished), `handler-disconnected` {group, resent} (a requests-socket peer went
   * away), `handler-warning` {group, hid?, held, message} (at most once a minute per peer and
   * kind: v1 handlers, spoofed secrets, wrong tokens, maxHandlers), `protocol-error` {group,
   * code, message} (once per group and code), `transport-error`.
   */
  readonly events: EventEmitter;
}

export type GroupFactory = (config: GroupConfig, context: GroupContext) => HandlerGroup;
