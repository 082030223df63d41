/**
 * Live handlers of one group, from their hello/heartbeat messages. A handler is live from its
 * first hello or heartbeat (never before: ZeroMQ's slow joiner would lose events sent to it) and
 * lost after `misses` x interval without any message from it.
 *
 * Each hid is bound to the secret of the first hello/heartbeat accepted for it: a message naming
 * that hid with another secret changes nothing (another process cannot make the frontend forget,
 * drain or re-time a handler). At most `maxHandlers` hids are held, so a hello flood stays bounded.
 */
import { timingSafeEqual } from "node:crypto";
import type { Exchange } from "../exchange.js";
import type { GoodbyeMsg, HelloMsg } from "../../protocol/index.js";

export class HandlerEntry {
  /** Exchanges this handler claimed that are not done. */
  readonly claimed = new Set<Exchange>();
  draining = false;
  constructor(
    readonly hid: string,
    readonly secret: Uint8Array,
    public lastSeen: number,
    public interval: number,
    public capacity: number,
    public inflight: number,
    public batch: number,
    public agent: string | undefined,
  ) {}
}

/** What a hello or heartbeat did. */
export type Seen =
  | { readonly outcome: "new"; readonly entry: HandlerEntry }
  | { readonly outcome: "known"; readonly entry: HandlerEntry }
  /** A draining handler said hello again: it takes new work once more. */
  | { readonly outcome: "back"; readonly entry: HandlerEntry }
  /** The hid is bound to another secret: dropped. */
  | { readonly outcome: "spoofed" }
  /** A new hid while the group holds maxHandlers: dropped. */
  | { readonly outcome: "refused" };

/** What a goodbye did. */
export type Goodbye = "draining" | "unknown" | "spoofed";

function sameSecret(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

export class HandlerRegistry {
  private readonly byHid = new Map<string, HandlerEntry>();
  private live = 0;
  /** Smallest `batch` and summed `capacity` of live handlers; recomputed lazily after a change. */
  private smallestBatch = 1;
  private totalCapacity = 0;
  private batchStale = false;

  constructor(
    private readonly defaultInterval: number,
    private readonly misses: number,
    private readonly maxHandlers: number,
  ) {}

  /** A hello or heartbeat (already decoded and validated). */
  seen(msg: HelloMsg, now: number): Seen {
    const entry = this.byHid.get(msg.hid);
    const interval = msg.interval ?? this.defaultInterval;
    const batch = msg.batch ?? 1;
    if (entry) {
      if (!sameSecret(entry.secret, msg.secret)) return { outcome: "spoofed" };
      entry.lastSeen = now;
      entry.interval = interval;
      if (entry.capacity !== msg.capacity) {
        entry.capacity = msg.capacity;
        this.batchStale = true;
      }
      entry.inflight = msg.inflight;
      if (entry.batch !== batch) {
        entry.batch = batch;
        this.batchStale = true;
      }
      if (entry.draining && msg.kind === "hello") {
        entry.draining = false;
        this.live++;
        this.batchStale = true;
        return { outcome: "back", entry };
      }
      return { outcome: "known", entry };
    }
    if (this.byHid.size >= this.maxHandlers) return { outcome: "refused" };
    const created = new HandlerEntry(
      msg.hid,
      Uint8Array.from(msg.secret), // the payload's buffer is not kept alive by the binding
      now,
      interval,
      msg.capacity,
      msg.inflight,
      batch,
      msg.agent,
    );
    this.byHid.set(msg.hid, created);
    this.live++;
    this.batchStale = true;
    return { outcome: "new", entry: created };
  }

  /**
   * A message about a request with the right token, from this hid: the handler is alive. (Only
   * authenticated messages count, so nobody can keep a dead handler's hid alive.)
   */
  touch(hid: string, now: number): HandlerEntry | undefined {
    const entry = this.byHid.get(hid);
    if (entry) entry.lastSeen = now;
    return entry;
  }

  get(hid: string): HandlerEntry | undefined {
    return this.byHid.get(hid);
  }

  /** `goodbye`: no new work goes to it; it finishes what it claimed while it keeps talking. */
  goodbye(msg: GoodbyeMsg, now: number): Goodbye {
    const entry = this.byHid.get(msg.hid);
    if (!entry) return "unknown";
    if (!sameSecret(entry.secret, msg.secret)) return "spoofed";
    entry.lastSeen = now;
    if (!entry.draining) {
      entry.draining = true;
      this.live--;
      this.batchStale = true;
    }
    return "draining";
  }

  /** Remove and return the handlers silent for longer than their window. */
  expire(now: number): HandlerEntry[] {
    let lost: HandlerEntry[] | undefined;
    for (const entry of this.byHid.values()) {
      if (now - entry.lastSeen > entry.interval * this.misses) {
        this.byHid.delete(entry.hid);
        if (!entry.draining) this.live--;
        this.batchStale = true;
        (lost ??= []).push(entry);
      }
    }
    return lost ?? [];
  }

  /** Every handler not lost yet, draining ones included (the status API lists them). */
  entries(): IterableIterator<HandlerEntry> {
    return this.byHid.values();
  }

  /** Handlers that take new work (seen, not draining, not lost). */
  get liveCount(): number {
    return this.live;
  }

  /** Handlers held (live or draining). */
  get size(): number {
    return this.byHid.size;
  }

  /**
   * Most requests one PUSH message may carry: PUSH picks the peer, so the smallest `batch` any
   * live handler declared (1 when none is live).
   */
  get batch(): number {
    if (this.batchStale) this.recompute();
    return this.smallestBatch;
  }

  /**
   * Requests the live handlers take at once: the sum of their declared `capacity` (0 when none is
   * live). Draining handlers take nothing new, so they add nothing.
   */
  get capacity(): number {
    if (this.batchStale) this.recompute();
    return this.totalCapacity;
  }

  private recompute(): void {
    let min = Infinity;
    let sum = 0;
    for (const entry of this.byHid.values()) {
      if (entry.draining) continue;
      min = Math.min(min, entry.batch);
      sum += entry.capacity;
    }
    this.smallestBatch = min === Infinity ? 1 : min;
    this.totalCapacity = sum;
    this.batchStale = false;
  }

  /** Shortest heartbeat window, to size the housekeeping tick. */
  get window(): number {
    return this.defaultInterval * this.misses;
  }
}
