/**
 * A handler group speaking Ferry protocol v2: requests out on PUSH, replies in on SUB (topic =
 * this frontend's id, or "*" for hellos), events out on PUB (topic = claiming handler, or "*").
 *
 * State per exchange: outbox (dispatched in this turn of the event loop) -> queued (no handler
 * could take it yet) -> dispatched (awaiting its head, under the reply timeout) -> responding
 * (head sent) -> done. The outbox goes out from setImmediate, in PUSH messages of at most the
 * live handlers' smallest `batch` requests: whatever is ready in one turn, never waiting to fill
 * a batch. The tick walks `awaiting` for due entries (a reload can shorten the timeout, so
 * insertion order is not deadline order). No timer or closure per request.
 *
 * Capacity: requests handed to the socket and not finished (`outstanding`) never exceed the sum
 * of the live handlers' declared `capacity`; past it they wait in the queue (queue.length,
 * queue.wait), and go out as requests finish or handlers arrive. The `inflight` a handler reports
 * is advisory and not used: it is stale by up to one heartbeat.
 */
import { encodeToHandler } from "../../protocol/index.js";
import type { GroupConfig } from "../config/schema.js";
import type { Exchange } from "../exchange.js";
import { Throttle } from "../throttle.js";
import type { GroupSockets } from "../transport/types.js";
import { FerryLoss } from "./ferry-loss.js";
import { applyMessage } from "./ferry-replies.js";
import { newToken } from "./ferry-token.js";
import { HandlerRegistry, type HandlerEntry } from "./handler-registry.js";
import { encodeRequest } from "./request-message.js";
import { sendUpload } from "./ferry-upload.js";
import type { GroupContext, GroupStatus, HandlerGroup } from "./types.js";

/** A warning about one peer is logged at most once per this many ms (with a count held back). */
const WARN_EVERY_MS = 60_000;

/** What one send() carried, told back by the socket if it was refused. */
interface SentBatch {
  readonly exchanges: readonly Exchange[];
  readonly payloads: readonly Buffer[];
}

export class FerryGroup implements HandlerGroup {
  readonly protocol = "ferry";
  readonly name: string;
  /** Every exchange this group holds, by request id. */
  readonly pending = new Map<number, Exchange>();
  /** Dispatched, no head yet; insertion-ordered. */
  readonly awaiting = new Map<number, Exchange>();
  /** Waiting for a handler to have room (FIFO, bounded by queue.length). */
  private queue: Exchange[] = [];
  /** Handed to the requests socket and not finished: what counts against the handlers' capacity. */
  readonly outstanding = new Set<Exchange>();
  readonly registry: HandlerRegistry;
  /** This frontend's id as the topic frame replies carry. */
  readonly fidTopic: Buffer;
  sockets: GroupSockets | undefined;
  private flushTimer: NodeJS.Timeout | undefined;
  /** What happens when a handler goes: re-sends and failures. */
  private readonly loss = new FerryLoss(this);
  private readonly reported = new Set<string>();
  private readonly warnings = new Throttle(WARN_EVERY_MS);
  /** Exchanges dispatched (or re-sent) in this turn of the event loop, in order. */
  private outbox: Exchange[] = [];
  private outboxImmediate: NodeJS.Immediate | undefined;
  private readonly sendOutbox = (): void => {
    this.outboxImmediate = undefined;
    this.flushOutbox(performance.now());
  };
  /**
   * Set when the socket refused a send: from then on each send first asks whether there is room
   * (trySend), until the queue drains. While clear, sends skip that question (see send()).
   */
  private refusing = false;
  private readonly onSettled = (_first: Buffer, tag: object, sent: boolean): void => {
    if (sent) return;
    this.refusing = true;
    const { exchanges, payloads } = tag as SentBatch;
    const now = performance.now();
    for (let i = 0; i < exchanges.length; i++) {
      const ex = exchanges[i]!;
      // Done, re-sent or answered meanwhile: this payload no longer stands for a wait.
      if (ex.done || ex.payload !== payloads[i] || !this.awaiting.has(ex.id)) continue;
      this.awaiting.delete(ex.id);
      this.outstanding.delete(ex);
      this.enqueue(ex, now);
    }
  };
  private readonly onPeerGone = (): void => this.peerGone();
  private readonly flushQueue = (): void => {
    this.flushTimer = undefined;
    this.flush(performance.now());
  };
  /** A flush for room that was freed in this turn (a request finished): at the turn's end. */
  private flushImmediate: NodeJS.Immediate | undefined;
  private readonly flushFreed = (): void => {
    this.flushImmediate = undefined;
    this.flush(performance.now());
  };

  constructor(
    readonly config: GroupConfig,
    readonly ctx: GroupContext,
  ) {
    this.name = config.name;
    this.fidTopic = Buffer.from(ctx.fid);
    this.registry = new HandlerRegistry(
      config.heartbeat.interval,
      config.heartbeat.misses,
      config.maxHandlers,
    );
  }

  async open(): Promise<void> {
    const c = this.config;
    this.sockets = await this.ctx.transport.open(
      { requests: c.requests, replies: c.replies, events: c.events },
      { sendHighWaterMark: c.sendHighWaterMark, subscribe: [this.ctx.fid, "*"] },
    );
    this.sockets.start((frames) => applyMessage(this, frames), this.onSettled, this.onPeerGone);
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

  /** How many more requests the live handlers take now (0 or less: none). */
  private get room(): number {
    return this.registry.capacity - this.outstanding.size;
  }

  dispatch(ex: Exchange): void {
    ex.window = this.config.responseWindow;
    ex.token = newToken();
    ex.payload = encodeRequest(ex, this.ctx.fid, this.name, this.config.timeout);
    this.pending.set(ex.id, ex);
    if (ex.upload !== undefined) ex.upload.onReadable = () => sendUpload(this, ex);
    this.post(ex);
  }

  /** Into the outbox, which leaves at the end of this turn of the event loop. */
  post(ex: Exchange): void {
    this.outbox.push(ex);
    this.outboxImmediate ??= setImmediate(this.sendOutbox);
  }

  /** Send what was dispatched in this turn, in messages of at most `registry.batch` requests. */
  private flushOutbox(now: number): void {
    const list = this.outbox;
    if (list.length === 0) return;
    this.outbox = [];
    const batch = this.registry.batch;
    // Its client left or the frontend answered it while it waited for this turn to end.
    const live = list.filter((ex) => !ex.done && this.pending.has(ex.id));
    const fits = this.queue.length === 0 ? Math.max(0, Math.min(live.length, this.room)) : 0;
    for (let i = 0; i < fits; i += batch) this.send(live.slice(i, Math.min(i + batch, fits)), now);
    // Past the handlers' capacity: these wait in the queue, behind anything already there.
    for (let i = fits; i < live.length; i++) this.enqueue(live[i]!, now);
  }

  /**
   * Hand requests to the socket as one message, or queue them. With nothing queued and no recent
   * refusal, the message is handed over without asking for room first; a refusal (no peer, every
   * pipe at its high-water mark) brings it back from a microtask (onSettled), and it is queued
   * then.
   */
  private send(chunk: readonly Exchange[], now: number): void {
    if (this.queue.length === 0) {
      const payloads = chunk.map((ex) => ex.payload!);
      const tag: SentBatch = { exchanges: chunk, payloads };
      if (!this.refusing) this.sockets!.send(payloads, tag);
      else if (this.sockets!.trySend(payloads)) this.refusing = false;
      else {
        for (const ex of chunk) this.enqueue(ex, now);
        return;
      }
      for (const ex of chunk) {
        ex.deadline = now + this.config.timeout;
        this.awaiting.set(ex.id, ex);
        this.outstanding.add(ex);
      }
      return;
    }
    for (const ex of chunk) this.enqueue(ex, now);
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

  /**
   * Hand queued exchanges to handlers, `registry.batch` per message, while the handlers have room
   * and the socket takes them. Stopped by capacity, it waits to be called again (a request
   * finishing, a handler arriving); stopped by the socket, it retries in 1 ms.
   */
  flush(now: number): void {
    let sent = 0;
    const queue = this.queue;
    const batch = this.registry.batch;
    let room = this.room;
    let refused = false;
    while (sent < queue.length && room > 0) {
      const chunk: Exchange[] = [];
      let next = sent;
      while (next < queue.length && chunk.length < Math.min(batch, room)) {
        const ex = queue[next++]!;
        if (!ex.done) chunk.push(ex);
      }
      if (chunk.length > 0) {
        const payloads = chunk.map((ex) => ex.payload!);
        // As in send(): no question asked for room unless the socket refused lately.
        if (!this.refusing) this.sockets!.send(payloads, { exchanges: chunk, payloads });
        else if (this.sockets!.trySend(payloads)) this.refusing = false;
        else {
          refused = true;
          break;
        }
        for (const ex of chunk) {
          ex.deadline = now + this.config.timeout;
          this.awaiting.set(ex.id, ex);
          this.outstanding.add(ex);
        }
        room -= chunk.length;
      }
      sent = next;
    }
    if (sent > 0) this.queue = queue.slice(sent);
    if (this.queue.length > 0 && refused) this.flushTimer ??= setTimeout(this.flushQueue, 1);
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
    // A finished request frees room for the next queued one.
    // Not a timer: a timer waits at least 1 ms, and a handler at its capacity would idle for it.
    if (this.outstanding.delete(ex) && this.queue.length > 0)
      this.flushImmediate ??= setImmediate(this.flushFreed);
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
    for (const entry of this.registry.expire(now)) {
      // A handler that said goodbye and finished its work has left; that is no loss.
      if (entry.draining && entry.claimed.size === 0) this.lose(entry, "left");
      else this.lose(entry, entry.draining ? "silent after goodbye" : "missed heartbeats");
    }
  }

  /** A peer of the requests socket disconnected (see FerryLoss.peerGone). */
  peerGone(): void {
    this.loss.peerGone();
  }

  /** A handler is gone (see FerryLoss.lose). */
  lose(entry: HandlerEntry, reason: string): void {
    this.loss.lose(entry, reason);
  }

  /**
   * A warning about one peer (the process logs it at warn), at most once a minute per `key`,
   * with how many were held back since the last one.
   */
  warn(key: string, message: string, fields: Record<string, unknown>): void {
    const held = this.warnings.pass(key);
    if (held < 0) return;
    this.ctx.events.emit("handler-warning", { group: this.name, ...fields, held, message });
  }

  /** A hello, heartbeat or goodbye whose secret is not the one bound to its hid: dropped. */
  spoofed(hid: string, kind: string): void {
    this.ctx.counters.handlerSpoofed++;
    this.warn(
      `spoof:${hid}`,
      `${kind} for handler ${hid} with another secret than its hello's: dropped`,
      { hid },
    );
  }

  /** A claim, credit or reply target whose token is not the request's: dropped. */
  badToken(hid: string): void {
    this.ctx.counters.badTokens++;
    // One key per group: the hid is whatever the sender wrote, so keys per hid would not bound lines.
    this.warn("token", `message from handler ${hid} with a wrong request token: dropped`, { hid });
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
    if (this.flushImmediate) clearImmediate(this.flushImmediate);
    this.loss.close();
    if (this.outboxImmediate) clearImmediate(this.outboxImmediate);
    await this.sockets?.close();
  }
}

export function createFerryGroup(config: GroupConfig, ctx: GroupContext): HandlerGroup {
  return new FerryGroup(config, ctx);
}
