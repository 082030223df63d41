/**
 * The low-level handler API: a connection to one or more frontends. Receives requests (as
 * Exchanges) and events, says hello/heartbeat, claims slow requests, keeps the number of
 * requests in flight under the concurrency limit, and drains gracefully.
 * It emits events and never prints.
 */
import { EventEmitter } from "node:events";
import { randomBytes } from "node:crypto";
import {
  decodeToHandler,
  isProtocolError,
  Limits,
  ProtocolErrorCode,
  type CancelMsg,
  type DisconnectMsg,
  type HeaderPair,
  type RequestMsg,
  type Target,
  type WsEventMsg,
} from "../protocol/index.js";
import { ClaimTimer } from "./claim-timer.js";
import { AGENT, resolveOptions, type ConnectionOptions } from "./connection-options.js";
import { Exchange, type ExchangeState } from "./exchange.js";
import type { ExchangeOwner } from "./exchange-owner.js";
import { RequestSlots } from "./request-slots.js";
import { ReplyWriter, toBytes, type BodyInit, type HandlerIdentity } from "./reply-writer.js";
import type { Transport } from "./transport/types.js";
import { VersionWarnings, type VersionMismatch } from "./version-warnings.js";
import { WebSocketTable } from "./websocket/table.js";

// Importers of the connection find its options and warning types here too.
export { DEFAULT_ENDPOINTS, newHandlerId, type ConnectionOptions } from "./connection-options.js";
export type { VersionMismatch } from "./version-warnings.js";

export interface ConnectionEvents {
  /** A new request: answer it through the Exchange. */
  request: [exchange: Exchange];
  /** A client went away (also for connections with no request in flight here). */
  disconnect: [event: DisconnectMsg];
  cancel: [event: CancelMsg];
  /** A WebSocket message for a connection held here that no accepted socket takes (raw use). */
  ws: [event: WsEventMsg];
  /** A frontend subscribed (first start or restart); hello was sent to it. */
  peer: [fid: string];
  /** A frontend went away: the requests it sent were aborted (they cannot be answered). */
  peerGone: [fid: string, aborted: number];
  /** A message that could not be decoded, or had the wrong frames; it was dropped. */
  malformed: [source: string, reason: string];
  /**
   * A frontend speaks another protocol version: its message was dropped. Emitted at most once a
   * minute per frontend; `held` counts the ones not reported since the last time.
   */
  versionMismatch: [info: VersionMismatch];
  /** The app threw or rejected while handling `exchange` (it was answered 500 or closed). */
  appError: [err: unknown, exchange: Exchange];
}

interface DrainOptions {
  /** Give up waiting for active requests after this long. Default 30 s. */
  timeoutMs?: number;
}

export class HandlerConnection extends EventEmitter<ConnectionEvents> implements ExchangeOwner {
  readonly hid: string;
  readonly writer: ReplyWriter;
  /** WebSockets accepted through this connection (upgradeWebSocket / acceptWebSocket). */
  readonly websockets = new WebSocketTable();
  readonly concurrency: number;
  /** Requests declared beyond the concurrency: they wait here for a slot (ConnectionOptions). */
  readonly prefetch: number;
  /** Most requests taken from one frontend message (sent in hello). */
  readonly batch: number;
  /** Malformed payloads and messages dropped so far (also those of another version). */
  malformedCount = 0;
  private readonly identity: HandlerIdentity;
  private readonly transport: Transport;
  private readonly heartbeatMs: number;
  private readonly claims: ClaimTimer;
  /** fid -> req -> exchange, for every exchange not done (active or deferred). */
  private readonly table = new Map<string, Map<number, Exchange>>();
  private readonly slots: RequestSlots;
  private readonly versionWarnings = new VersionWarnings();
  private deferredCount = 0;
  private draining = false;
  private heartbeat: NodeJS.Timeout | undefined;
  private dirty: Exchange[] = [];
  private flushScheduled = false;
  private started = false;
  private readonly goneTimers = new Map<string, NodeJS.Timeout>();

  constructor(options: ConnectionOptions & { transport: Transport }) {
    super();
    const resolved = resolveOptions(options);
    this.hid = resolved.hid;
    this.identity = { hid: this.hid, secret: randomBytes(32) };
    this.transport = options.transport;
    this.concurrency = resolved.concurrency;
    this.prefetch = resolved.prefetch;
    this.batch = resolved.batch;
    this.heartbeatMs = resolved.heartbeatMs;
    this.writer = new ReplyWriter((topic, payload) => this.transport.publish(topic, payload));
    this.claims = new ClaimTimer(resolved.claimAfterMs);
    this.slots = new RequestSlots(this.concurrency, {
      start: (msg) => this.begin(msg),
      pause: () => this.transport.pauseRequests(),
      resume: () => this.transport.resumeRequests(),
    });
  }

  /** Requests being worked on, or received and waiting for a slot (deferred ones not counted). */
  get inflight(): number {
    return this.slots.inflight;
  }

  /** Requests held for a later answer. */
  get deferredRequests(): number {
    return this.deferredCount;
  }

  get congested(): boolean {
    return this.transport.queuedBytes > 8 * 1024 * 1024;
  }

  whenUncongested(): Promise<void> {
    return this.transport.whenBelow(4 * 1024 * 1024);
  }

  start(): this {
    if (this.started) return this;
    this.started = true;
    this.transport.start(this.hid, {
      request: (payload) => this.onRequest(payload),
      event: (payload) => this.onEvent(payload),
      peer: (fid) => {
        clearTimeout(this.goneTimers.get(fid));
        this.goneTimers.delete(fid);
        // A hello would tell the frontends this handler takes new work again: not while draining.
        this.sayHello(this.draining ? "heartbeat" : "hello");
        this.emit("peer", fid);
      },
      malformed: (source, reason) => {
        this.malformedCount++;
        this.emit("malformed", source, reason);
      },
      gone: (fid) => this.frontendGone(fid),
    });
    this.sayHello("hello");
    this.heartbeat = setInterval(() => this.sayHello("heartbeat"), this.heartbeatMs);
    return this;
  }

  /** Find a request this handler holds. */
  exchange(fid: string, req: number): Exchange | undefined {
    return this.table.get(fid)?.get(req);
  }

  /** One complete response (head + body + end) to many requests of one frontend at once. */
  reply(fid: string, to: Target[], status: number, headers: HeaderPair[], body?: BodyInit): void {
    const bytes = toBytes(body);
    this.writer.head(this.hid, fid, to, status, headers, bytes, true);
    this.forget(fid, to);
  }

  /** Body bytes to many requests of one frontend at once (their heads were sent before). */
  deliver(fid: string, to: Target[], data: BodyInit, end = false): void {
    this.writer.data(this.hid, fid, to, toBytes(data), end);
    if (end) this.forget(fid, to);
  }

  /** End many responses at once. */
  endAll(fid: string, to: Target[]): void {
    this.writer.end(this.hid, fid, to);
    this.forget(fid, to);
  }

  /** Close many connections at once. */
  closeAll(fid: string, to: Target[]): void {
    this.writer.close(this.hid, fid, to);
    this.forget(fid, to);
  }

  /**
   * Graceful stop: `goodbye`, take no new requests, finish the active ones, then close.
   * Deferred requests are left to the frontend (it re-sends or fails them when we are gone).
   */
  async drain(options: DrainOptions = {}): Promise<void> {
    if (this.draining) return;
    this.draining = true;
    this.writer.goodbye(this.identity, this.inflight);
    await this.transport.stopRequests();
    // Whatever arrives from now on is ours to finish: claim it at once.
    for (const byReq of this.table.values()) for (const ex of byReq.values()) ex.claim();
    // Open WebSockets would keep the handler forever: they close "going away" (1001).
    this.websockets.closeAll(1001, "handler stopping");
    await this.slots.whenIdle(options.timeoutMs ?? 30_000);
    await this.websockets.whenEmpty(Math.min(5000, options.timeoutMs ?? 30_000));
    this.writer.goodbye(this.identity, 0);
    await this.close();
  }

  /** Stop at once: stop heartbeats, close sockets (after sending what is queued). */
  async close(): Promise<void> {
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.heartbeat = undefined;
    for (const t of this.goneTimers.values()) clearTimeout(t);
    this.goneTimers.clear();
    this.claims.stop();
    this.flushAll();
    await this.transport.close();
  }

  // ------------------------------------------------------------ ExchangeOwner

  scheduleFlush(exchange: Exchange): void {
    this.dirty.push(exchange);
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => this.flushAll());
  }

  deferred(exchange: Exchange): void {
    exchange.state = "deferred";
    this.deferredCount++;
    this.slots.release();
    this.announceCapacity();
  }

  /**
   * The frontend counts every request it gave this handler until its response ends, deferred ones
   * included, against the declared capacity. Deferred requests cost no slot here, so the declared
   * capacity is the concurrency (plus the prefetch) plus twice the requests deferred now: room for the parked ones
   * and as many again, so that a burst of long-polls ramps up geometrically (each heartbeat can
   * double the room) instead of `concurrency` per round trip. A deferral is told at once (one
   * heartbeat per turn of the event loop).
   */
  get declaredCapacity(): number {
    return Math.min(Limits.maxCapacity, this.concurrency + this.prefetch + 2 * this.deferredCount);
  }

  private capacityAnnounced = false;
  private announceCapacity(): void {
    if (this.capacityAnnounced || this.heartbeat === undefined) return;
    this.capacityAnnounced = true;
    setImmediate(() => {
      this.capacityAnnounced = false;
      if (this.heartbeat !== undefined) this.sayHello("heartbeat");
    });
  }

  finished(exchange: Exchange, previous: ExchangeState): void {
    // A frontend's map stays when it empties (the next request would make it again); it goes
    // with the frontend (abortFrontend).
    const byReq = this.table.get(exchange.fid);
    if (byReq?.get(exchange.req) === exchange) byReq.delete(exchange.req);
    if (previous === "deferred") this.deferredCount--;
    else if (previous === "active") this.slots.release();
  }

  // ------------------------------------------------------------ receiving

  /** A payload that could not be decoded: dropped, counted, reported. */
  private rejected(source: "requests" | "events", err: unknown): void {
    this.malformedCount++;
    if (isProtocolError(err) && err.code === ProtocolErrorCode.Version && err.peer) {
      const warning = this.versionWarnings.next(err.peer.id, err.peer.version);
      if (warning !== undefined) this.emit("versionMismatch", warning);
      return;
    }
    this.emit(
      "malformed",
      source,
      isProtocolError(err) ? `${err.code}: ${err.message}` : String(err),
    );
  }

  private onRequest(payload: Buffer): void {
    let msg;
    try {
      msg = decodeToHandler(payload);
    } catch (err) {
      this.rejected("requests", err);
      return;
    }
    if (msg.kind !== "request") {
      this.malformedCount++;
      this.emit("malformed", "requests", `kind ${msg.kind} on the requests socket`);
      return;
    }
    // A message may hold several requests: past the limit they wait here for a slot.
    this.slots.offer(msg);
  }

  private begin(msg: RequestMsg): void {
    const exchange = new Exchange(msg, this);
    let byReq = this.table.get(msg.fid);
    if (!byReq) this.table.set(msg.fid, (byReq = new Map()));
    byReq.set(msg.req, exchange);
    this.slots.take();
    // Streamed bodies and requests arriving while draining are claimed at once.
    if (msg.stream || this.draining) exchange.claim();
    else this.claims.add(exchange);
    if (this.listenerCount("request") === 0) {
      exchange.fail("UNAVAILABLE", "no request listener");
      return;
    }
    this.emit("request", exchange);
  }

  private onEvent(payload: Buffer): void {
    let msg;
    try {
      msg = decodeToHandler(payload);
    } catch (err) {
      this.rejected("events", err);
      return;
    }
    switch (msg.kind) {
      case "disconnect": {
        if (msg.req !== undefined) this.exchange(msg.fid, msg.req)?.abort("client disconnected");
        else this.abortConnection(msg.fid, msg.conn);
        if (this.websockets.size > 0) this.websockets.disconnect(msg);
        this.emit("disconnect", msg);
        return;
      }
      case "cancel":
        this.exchange(msg.fid, msg.req)?.abort(`cancelled: ${msg.reason}`);
        this.emit("cancel", msg);
        return;
      case "credit":
        this.exchange(msg.fid, msg.req)?.addCredit(msg.bytes);
        return;
      case "body":
        this.exchange(msg.fid, msg.req)?.body.push(msg.data, msg.end === true);
        return;
      case "ws":
        if (!this.websockets.message(msg)) this.emit("ws", msg);
        return;
      case "request":
        this.malformedCount++;
        this.emit("malformed", "events", "request on the events socket");
        return;
    }
  }

  /** A frontend unsubscribed: unless it is back within the heartbeat window, let its requests go. */
  private frontendGone(fid: string): void {
    if (this.goneTimers.has(fid)) return;
    const timer = setTimeout(() => {
      this.goneTimers.delete(fid);
      this.abortFrontend(fid);
    }, this.heartbeatMs * 3);
    timer.unref();
    this.goneTimers.set(fid, timer);
  }

  private abortFrontend(fid: string): void {
    const byReq = this.table.get(fid);
    const exchanges = byReq ? [...byReq.values()] : [];
    for (const ex of exchanges) ex.abort("frontend gone");
    if (byReq?.size === 0) this.table.delete(fid);
    this.websockets.frontendGone(fid);
    this.emit("peerGone", fid, exchanges.length);
  }

  private abortConnection(fid: string, conn: number): void {
    const byReq = this.table.get(fid);
    if (!byReq) return;
    for (const ex of [...byReq.values()]) if (ex.conn === conn) ex.abort("client disconnected");
  }

  private forget(fid: string, to: Target[]): void {
    const byReq = this.table.get(fid);
    if (!byReq) return;
    for (const [, req] of to) {
      byReq.get(req)?.settle();
    }
  }

  // ------------------------------------------------------------ internals

  private flushAll(): void {
    this.flushScheduled = false;
    const dirty = this.dirty;
    this.dirty = [];
    for (const ex of dirty) ex.flush();
  }

  private sayHello(kind: "hello" | "heartbeat"): void {
    const { identity, declaredCapacity, heartbeatMs, batch } = this;
    this.writer.hello(kind, identity, declaredCapacity, this.inflight, heartbeatMs, batch, AGENT);
  }
}
