/**
 * A handler group speaking Mongrel2 1.12's wire format, so existing Mongrel2 handlers (any
 * language's library) run behind Ferry unchanged. Sockets as Mongrel2 binds them: PUSH requests
 * (one frame, `UUID ID PATH HEADERS BODY`), SUB replies (one frame, `UUID LEN:IDS, BODY`,
 * subscribed to `recvIdent`, "" = all). The events socket is bound but unused.
 *
 * What Ferry adds, and how without Ferry's hello/claim messages (docs/mongrel2.md):
 * - Liveness: Mongrel2 handlers announce nothing, so the group counts the handlers connected to
 *   its PUSH socket (ZeroMQ's socket monitor: connect/accept vs disconnect), idle or not. A
 *   request that finds none connected, and no send taken within `heartbeat.interval x misses`
 *   (a handler restarting), gets 503 at once; one that finds handlers busy waits in the bounded
 *   queue (queue.length, queue.wait).
 * - 504 when no response head arrives within `timeout`; the connection is then closed (and the
 *   handler told with a disconnect notice), so a late reply can never reach a later request.
 * - Replies are raw HTTP: m2-replies.ts reads the head's framing to know where a response ends.
 * - Replies carrying another UUID than this group's sendIdent are dropped: by default sendIdent
 *   is fresh at each start, so replies meant for a previous run never reach a new client.
 */
import { randomUUID } from "node:crypto";
import {
  encodeM2Request,
  m2Disconnect,
  type M2HeaderFormat,
} from "../../protocol/mongrel2/index.js";
import type { GroupConfig } from "../config/schema.js";
import type { Connection } from "../connections.js";
import type { Exchange } from "../exchange.js";
import type { GroupSockets } from "../transport/types.js";
import { applyM2Reply } from "./m2-replies.js";
import { encodeM2RequestFor } from "./m2-request.js";
import type { M2ResponseReader } from "./m2-response-reader.js";
import type { GroupContext, GroupStatus, HandlerGroup } from "./types.js";

export class Mongrel2Group implements HandlerGroup {
  readonly protocol = "mongrel2";
  readonly name: string;
  /** The UUID at the start of every request; replies must carry it. */
  readonly uuid: string;
  readonly format: M2HeaderFormat;
  /** Every exchange this group holds, by request id. */
  readonly pending = new Map<number, Exchange>();
  /** Sent, no response head yet; insertion-ordered. */
  readonly awaiting = new Map<number, Exchange>();
  /** Per connection id, its exchanges in request order: replies are for the first. */
  readonly byConn = new Map<number, Exchange[]>();
  /** Response readers by request id, from the first reply byte. */
  readonly readers = new Map<number, M2ResponseReader>();
  /** By connection id: the reader of a finished HEAD response whose stray body may follow. */
  readonly strays = new Map<number, M2ResponseReader>();
  private queue: Exchange[] = [];
  /** performance.now() of the last send the PUSH socket took. */
  private lastAccepted = Number.NEGATIVE_INFINITY;
  /** Handlers connected to the PUSH socket; undefined when the transport cannot tell. */
  private peers: number | undefined;
  private readonly liveWindow: number;
  sockets: GroupSockets | undefined;
  private flushTimer: NodeJS.Timeout | undefined;
  /** Set when the socket refused a send: sends ask first (trySend) until the queue drains. */
  private refusing = false;
  private readonly reported = new Set<string>();
  /** Connections a request of which reached a handler: they get a disconnect notice on close. */
  private readonly watched = new WeakSet<Connection>();
  private readonly flushQueue = (): void => {
    this.flushTimer = undefined;
    this.flush(performance.now());
  };

  constructor(
    readonly config: GroupConfig,
    readonly ctx: GroupContext,
  ) {
    this.name = config.name;
    this.uuid = config.sendIdent ?? randomUUID();
    this.format = config.headers;
    this.liveWindow = config.heartbeat.interval * config.heartbeat.misses;
  }

  async open(): Promise<void> {
    const c = this.config;
    this.sockets = await this.ctx.transport.open(
      { requests: c.requests, replies: c.replies, events: c.events },
      {
        sendHighWaterMark: c.sendHighWaterMark,
        subscribe: [c.recvIdent ?? ""],
        onPeers: (peers) => (this.peers = peers),
      },
    );
    this.sockets.start((frames) => applyM2Reply(this, frames), this.onSettled);
  }

  /** Mongrel2 handlers expect whole bodies (Mongrel2 itself spools big ones to files). */
  readonly streamsBodies = false;

  get inlineBodyLimit(): number {
    return this.config.inlineBodyLimit;
  }

  /** The send decides (see the header comment): a request goes to dispatch, which may 503. */
  hasLiveHandler(): boolean {
    return true;
  }

  /** A handler is connected, or one took a request lately (it may be reconnecting). */
  private live(now: number): boolean {
    return (this.peers ?? 0) > 0 || this.recent(now);
  }

  private recent(now: number): boolean {
    return now - this.lastAccepted <= this.liveWindow;
  }

  get inflight(): number {
    return this.pending.size;
  }

  status(): GroupStatus {
    // Connected handlers; a transport without a monitor (tests) falls back on recent sends.
    const live = this.peers ?? (this.recent(performance.now()) ? 1 : 0);
    return {
      name: this.name,
      protocol: this.protocol,
      live,
      inflight: this.pending.size,
      queued: this.queue.length,
    };
  }

  /**
   * Hand a request to the socket, or queue it (or 503). With nothing queued and no recent refusal,
   * the request is handed over without asking for room first; how that went comes back from a
   * microtask (onSettled), and a refused one is treated then as trySend's no would have been.
   */
  dispatch(ex: Exchange): void {
    ex.payload = encodeM2RequestFor(ex, this.uuid, this.name, this.format);
    const now = performance.now();
    if (this.queue.length > 0) return this.notSent(ex, now, false);
    if (!this.refusing) {
      // Watched (and counted as accepted) once the send settles: see onSettled.
      this.sockets!.send(ex.payload, ex);
    } else if (this.trySend(ex.payload, now)) {
      this.refusing = false;
      this.watch(ex.conn);
    } else {
      return this.notSent(ex, now, false);
    }
    this.hold(ex);
    ex.deadline = now + this.config.timeout;
    this.awaiting.set(ex.id, ex);
  }

  private readonly onSettled = (payload: Buffer, tag: object, sent: boolean): void => {
    const ex = tag as Exchange;
    if (sent) {
      this.lastAccepted = performance.now();
      this.watch(ex.conn);
      return;
    }
    this.refusing = true;
    // Done or answered meanwhile: this payload no longer stands for a wait.
    if (ex.done || ex.payload !== payload || !this.awaiting.has(ex.id)) return;
    this.awaiting.delete(ex.id);
    this.notSent(ex, performance.now(), true);
  };

  /** No handler took the request: 503 if none took one lately, else queue it (503 when full). */
  private notSent(ex: Exchange, now: number, held: boolean): void {
    if (this.queue.length === 0 && !this.live(now)) {
      this.ctx.counters.noHandler++;
      this.ctx.responder.fail(
        ex,
        "FERRY_NO_HANDLER",
        `no handler connected to group "${this.name}"`,
        [["retry-after", "1"]],
      );
      if (held) this.forget(ex);
      else ex.payload = undefined;
      return;
    }
    if (this.queue.length >= this.config.queue.length) {
      this.ctx.counters.queueFull++;
      this.ctx.responder.fail(ex, "FERRY_QUEUE_FULL", undefined, [["retry-after", "1"]]);
      if (held) this.forget(ex);
      else ex.payload = undefined;
      return;
    }
    if (!held) this.hold(ex);
    ex.deadline = now + this.config.queue.wait;
    this.queue.push(ex);
    this.flushTimer ??= setTimeout(this.flushQueue, 1);
  }

  private trySend(payload: Buffer, now: number): boolean {
    if (!this.sockets!.trySend(payload)) return false;
    this.lastAccepted = now;
    return true;
  }

  private hold(ex: Exchange): void {
    this.pending.set(ex.id, ex);
    const list = this.byConn.get(ex.conn.id);
    if (list) list.push(ex);
    else this.byConn.set(ex.conn.id, [ex]);
  }

  flush(now: number): void {
    let sent = 0;
    const queue = this.queue;
    while (sent < queue.length) {
      const ex = queue[sent]!;
      if (!ex.done) {
        if (!this.trySend(ex.payload!, now)) break;
        this.watch(ex.conn);
        ex.deadline = now + this.config.timeout;
        this.awaiting.set(ex.id, ex);
      }
      sent++;
    }
    if (sent > 0) this.queue = queue.slice(sent);
    if (this.queue.length > 0) this.flushTimer ??= setTimeout(this.flushQueue, 1);
    else if (sent > 0) this.refusing = false;
  }

  /** The first unfinished exchange of a connection: the one reply bytes are for. */
  front(conn: number): Exchange | undefined {
    const list = this.byConn.get(conn);
    if (list === undefined) return undefined;
    while (list.length > 0 && list[0]!.done) list.shift();
    const ex = list[0];
    if (ex === undefined) this.byConn.delete(conn);
    // A queued request has not reached a handler: nothing can be a reply to it.
    return ex !== undefined && (this.awaiting.has(ex.id) || this.readers.has(ex.id))
      ? ex
      : undefined;
  }

  /** The handler is told when the connection closes (see watch), not here. */
  abandon(ex: Exchange): void {
    if (!this.pending.has(ex.id)) return;
    this.ctx.counters.disconnects++;
    this.forget(ex);
  }

  drop(ex: Exchange): void {
    if (this.pending.has(ex.id)) this.forget(ex);
  }

  /** Mongrel2's protocol has no flow control: requests carry no window, so no credit is owed. */
  credit(): void {}

  /**
   * As Mongrel2 does, tell handlers once when a connection that sent them a request closes,
   * whether a request was still held (a long poll) or the connection was idle. One listener per
   * connection, not per request.
   */
  private watch(conn: Connection): void {
    if (this.watched.has(conn)) return;
    this.watched.add(conn);
    conn.socket.once("close", () => this.notifyDisconnect(conn.id));
  }

  notifyDisconnect(conn: number): void {
    this.strays.delete(conn);
    this.sockets?.trySend(encodeM2Request(m2Disconnect(this.uuid, conn), this.format));
  }

  /** Drop every reference to an exchange that is done. */
  forget(ex: Exchange): void {
    this.pending.delete(ex.id);
    this.awaiting.delete(ex.id);
    this.readers.delete(ex.id);
    ex.payload = undefined;
    const list = this.byConn.get(ex.conn.id);
    if (list === undefined) return;
    const at = list.indexOf(ex);
    if (at >= 0) list.splice(at, 1);
    if (list.length === 0) this.byConn.delete(ex.conn.id);
  }

  /**
   * Answer with one of the frontend's errors and close the connection, with every later request
   * on it: Mongrel2 replies name connections, not requests, so a handler's late bytes must find
   * no request left to land on.
   */
  failConnection(
    ex: Exchange,
    code: "FERRY_REPLY_TIMEOUT" | "FERRY_BAD_REPLY",
    message?: string,
  ): void {
    const conn = ex.conn.id;
    const list = [...(this.byConn.get(conn) ?? [ex])];
    for (const each of list) {
      each.res.shouldKeepAlive = false;
      if (!each.done)
        this.ctx.responder.fail(
          each,
          code,
          each === ex ? message : "an earlier request on this connection failed",
        );
      this.forget(each);
    }
    // The connection closes after this answer: its close sends the disconnect notice.
  }

  tick(now: number): void {
    for (const ex of this.awaiting.values()) {
      // Not `break`: a reload may shorten the timeout, and then a later entry can be due first.
      if (ex.deadline > now) continue;
      this.ctx.counters.timeouts++;
      this.failConnection(ex, "FERRY_REPLY_TIMEOUT");
    }
    while (this.queue.length > 0 && (this.queue[0]!.done || this.queue[0]!.deadline <= now)) {
      const ex = this.queue.shift()!;
      if (ex.done) continue;
      this.ctx.counters.queueFull++;
      this.ctx.responder.fail(ex, "FERRY_QUEUE_FULL", "no handler had room within queue.wait", [
        ["retry-after", "1"],
      ]);
      this.forget(ex);
    }
  }

  /** Count a malformed message; report its code once per group (the process logs it). */
  malformed(code: string, message: string): void {
    this.ctx.counters.malformedMessages++;
    if (this.reported.has(code)) return;
    this.reported.add(code);
    this.ctx.events.emit("protocol-error", { group: this.name, code, message });
  }

  async close(): Promise<void> {
    if (this.flushTimer) clearTimeout(this.flushTimer);
    await this.sockets?.close();
  }
}

export function createMongrel2Group(config: GroupConfig, ctx: GroupContext): HandlerGroup {
  return new Mongrel2Group(config, ctx);
}
