/**
 * A handler group speaking Ferry protocol v1: requests out on PUSH, replies in on SUB (topic =
 * this frontend's id, or "*" for hellos), events out on PUB (topic = claiming handler, or "*").
 *
 * State per exchange: queued (no handler could take it yet) -> dispatched (awaiting its head,
 * under the reply timeout) -> responding (head sent) -> done. The tick walks `awaiting` for due
 * entries (a reload can shorten the timeout, so insertion order is not deadline order). No timer
 * or closure per request.
 */
import { encodeToHandler } from "../../protocol/index.js";
import type { GroupConfig } from "../config/schema.js";
import type { Exchange } from "../exchange.js";
import type { GroupSockets } from "../transport/types.js";
import { applyMessage } from "./ferry-replies.js";
import { HandlerRegistry, type HandlerEntry } from "./handler-registry.js";
import { encodeRequest } from "./request-message.js";
import { sendUpload } from "./ferry-upload.js";
import type { GroupContext, GroupStatus, HandlerGroup } from "./types.js";

export class FerryGroup implements HandlerGroup {
  readonly protocol = "ferry";
  readonly name: string;
  /** Every exchange this group holds, by request id. */
  readonly pending = new Map<number, Exchange>();
  /** Dispatched, no head yet; insertion-ordered. */
  readonly awaiting = new Map<number, Exchange>();
  /** Waiting for a handler to have room (FIFO, bounded by queue.length). */
  private queue: Exchange[] = [];
  readonly registry: HandlerRegistry;
  /** This frontend's id as the topic frame replies carry. */
  readonly fidTopic: Buffer;
  sockets: GroupSockets | undefined;
  private flushTimer: NodeJS.Timeout | undefined;
  private readonly reported = new Set<string>();
  /**
   * Set when the socket refused a send: from then on each send first asks whether there is room
   * (trySend), until the queue drains. While clear, sends skip that question (see send()).
   */
  private refusing = false;
  private readonly onSettled = (payload: Buffer, tag: object, sent: boolean): void => {
    if (sent) return;
    this.refusing = true;
    const ex = tag as Exchange;
    // Done, re-sent or answered meanwhile: this payload no longer stands for a wait.
    if (ex.done || ex.payload !== payload || !this.awaiting.has(ex.id)) return;
    this.awaiting.delete(ex.id);
    this.enqueue(ex, performance.now());
  };
  private readonly flushQueue = (): void => {
    this.flushTimer = undefined;
    this.flush(performance.now());
  };

  constructor(
    readonly config: GroupConfig,
    readonly ctx: GroupContext,
  ) {
    this.name = config.name;
    this.fidTopic = Buffer.from(ctx.fid);
    this.registry = new HandlerRegistry(config.heartbeat.interval, config.heartbeat.misses);
  }

  async open(): Promise<void> {
    const c = this.config;
    this.sockets = await this.ctx.transport.open(
      { requests: c.requests, replies: c.replies, events: c.events },
      { sendHighWaterMark: c.sendHighWaterMark, subscribe: [this.ctx.fid, "*"] },
    );
    this.sockets.start((frames) => applyMessage(this, frames), this.onSettled);
  }

  get inlineBodyLimit(): number {
    return this.config.inlineBodyLimit;
  }

  readonly streamsBodies = true;

  hasLiveHandler(): boolean {
    return this.registry.liveCount > 0;
  }

  get inflight(): number {
    return this.pending.size;
  }

  status(): GroupStatus {
    return {
      name: this.name,
      protocol: this.protocol,
      live: this.registry.liveCount,
      inflight: this.pending.size,
      queued: this.queue.length,
    };
  }

  dispatch(ex: Exchange): void {
    ex.window = this.config.responseWindow;
    ex.payload = encodeRequest(ex, this.ctx.fid, this.name, this.config.timeout);
    this.pending.set(ex.id, ex);
    if (ex.upload !== undefined) ex.upload.onReadable = () => sendUpload(this, ex);
    this.send(ex, performance.now());
  }

  /**
   * Hand a request to the socket, or queue it. With nothing queued and no recent refusal, the
   * request is handed over without asking for room first; a refusal (no peer, every pipe at its
   * high-water mark) brings it back from a microtask (onSettled), and it is queued then.
   */
  private send(ex: Exchange, now: number): void {
    if (this.queue.length === 0) {
      if (!this.refusing) this.sockets!.send(ex.payload!, ex);
      else if (this.sockets!.trySend(ex.payload!)) this.refusing = false;
      else return this.enqueue(ex, now);
      ex.deadline = now + this.config.timeout;
      this.awaiting.set(ex.id, ex);
      return;
    }
    this.enqueue(ex, now);
  }

  private enqueue(ex: Exchange, now: number): void {
    if (this.queue.length >= this.config.queue.length) {
      this.ctx.counters.queueFull++;
      this.ctx.responder.fail(ex, "FERRY_QUEUE_FULL", undefined, [["retry-after", "1"]]);
      this.forget(ex);
      return;
    }
    ex.deadline = now + this.config.queue.wait;
    this.queue.push(ex);
    this.flushTimer ??= setTimeout(this.flushQueue, 1);
  }

  /** Hand queued exchanges to handlers while the socket takes them. */
  flush(now: number): void {
    let sent = 0;
    const queue = this.queue;
    while (sent < queue.length) {
      const ex = queue[sent]!;
      if (!ex.done) {
        if (!this.sockets!.trySend(ex.payload!)) break;
        ex.deadline = now + this.config.timeout;
        this.awaiting.set(ex.id, ex);
      }
      sent++;
    }
    if (sent > 0) this.queue = queue.slice(sent);
    if (this.queue.length > 0) this.flushTimer ??= setTimeout(this.flushQueue, 1);
    else if (sent > 0) this.refusing = false;
  }

  abandon(ex: Exchange): void {
    if (!this.pending.has(ex.id)) return;
    this.ctx.counters.disconnects++;
    // Queued exchanges never reached a handler: nobody to tell.
    if (this.awaiting.has(ex.id) || ex.claimer !== undefined) {
      this.publish(
        ex.claimer ?? "*",
        encodeToHandler({ kind: "disconnect", fid: this.ctx.fid, conn: ex.conn.id, req: ex.id }),
      );
    }
    this.forget(ex);
  }

  drop(ex: Exchange, reason: string): void {
    if (!this.pending.has(ex.id)) return;
    if (this.awaiting.has(ex.id) || ex.claimer !== undefined)
      this.cancel(ex.claimer ?? "*", ex, reason);
    this.forget(ex);
  }

  credit(ex: Exchange, bytes: number): void {
    if (ex.claimer === undefined || !this.pending.has(ex.id)) return;
    this.publish(
      ex.claimer,
      encodeToHandler({ kind: "credit", fid: this.ctx.fid, conn: ex.conn.id, req: ex.id, bytes }),
    );
  }

  /** Drop every reference to an exchange that is done. */
  forget(ex: Exchange): void {
    this.pending.delete(ex.id);
    this.awaiting.delete(ex.id);
    if (ex.claimer !== undefined) this.registry.get(ex.claimer)?.claimed.delete(ex);
    ex.payload = undefined;
    // A response that finished before its body was read: the rest of the body goes nowhere.
    ex.upload?.discard();
  }

  cancel(hid: string, ex: Exchange, reason: string): void {
    this.publish(
      hid,
      encodeToHandler({ kind: "cancel", fid: this.ctx.fid, conn: ex.conn.id, req: ex.id, reason }),
    );
  }

  publish(topic: string, payload: Buffer): void {
    this.sockets?.publish(topic, payload);
  }

  tick(now: number): void {
    let moving: Exchange[] | undefined;
    for (const ex of this.awaiting.values()) {
      // Not `break`: a reload may shorten the timeout, and then a later entry can be due first.
      if (ex.deadline > now) continue;
      // A body still flowing is progress: the timeout counts from its last bytes.
      if (ex.upload !== undefined && now - ex.upload.lastProgress < this.config.timeout) {
        (moving ??= []).push(ex);
        continue;
      }
      this.ctx.counters.timeouts++;
      this.cancel(ex.claimer ?? "*", ex, "timeout");
      this.ctx.responder.fail(ex, "FERRY_REPLY_TIMEOUT");
      this.forget(ex);
    }
    // Re-inserted with a full timeout from now.
    if (moving !== undefined) {
      for (const ex of moving) {
        this.awaiting.delete(ex.id);
        ex.deadline = now + this.config.timeout;
        this.awaiting.set(ex.id, ex);
      }
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
    for (const entry of this.registry.expire(now)) this.lose(entry, "missed heartbeats", now);
  }

  /**
   * A handler is gone. What it claimed, and what nobody claimed yet, is re-sent when that is
   * safe (idempotent, nothing sent to the client, some handler left to take it); else 502.
   */
  lose(entry: HandlerEntry, reason: string, now: number): void {
    const { counters, responder } = this.ctx;
    counters.handlersLost++;
    const sockets = this.ctx.websockets.lose(entry.hid);
    const canResend = this.registry.liveCount > 0;
    let resent = 0;
    let failed = 0;
    const orphans = [...entry.claimed];
    for (const ex of this.awaiting.values()) if (ex.claimer === undefined) orphans.push(ex);
    for (const ex of orphans) {
      if (ex.done) continue;
      const claimedByLost = ex.claimer === entry.hid;
      // A handler that got part of a streamed body took bytes nobody can send again.
      const resendable = ex.idempotent && !ex.headSent && (ex.upload?.sent ?? 0) === 0;
      if (resendable && canResend) {
        this.resend(ex, now);
        resent++;
      } else if (claimedByLost || !canResend) {
        counters.handlerLost++;
        responder.fail(ex, "FERRY_HANDLER_LOST", `handler ${entry.hid} was lost (${reason})`);
        this.forget(ex);
        failed++;
      }
    }
    this.ctx.events.emit("handler-lost", {
      group: this.name,
      hid: entry.hid,
      reason,
      resent,
      failed,
      sockets,
    });
  }

  private resend(ex: Exchange, now: number): void {
    this.ctx.counters.resent++;
    if (ex.claimer !== undefined) this.registry.get(ex.claimer)?.claimed.delete(ex);
    ex.claimer = undefined;
    ex.upload?.resetCredit();
    ex.attempt++;
    this.awaiting.delete(ex.id);
    ex.payload = encodeRequest(ex, this.ctx.fid, this.name, this.config.timeout);
    this.send(ex, now);
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

export function createFerryGroup(config: GroupConfig, ctx: GroupContext): HandlerGroup {
  return new FerryGroup(config, ctx);
}
