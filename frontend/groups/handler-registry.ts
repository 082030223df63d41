/**
 * Live handlers of one group, from their hello/heartbeat messages. A handler is live from its
 * first hello or heartbeat (never before: ZeroMQ's slow joiner would lose events sent to it) and
 * lost after `misses` x interval without any message from it.
 */
import type { Exchange } from "../exchange.js";
import type { HelloMsg } from "../../protocol/index.js";

export class HandlerEntry {
  /** Exchanges this handler claimed that are not done. */
  readonly claimed = new Set<Exchange>();
  draining = false;
  constructor(
    readonly hid: string,
    public lastSeen: number,
    public interval: number,
    public capacity: number,
    public inflight: number,
    public agent: string | undefined,
  ) {}
}

export class HandlerRegistry {
  private readonly byHid = new Map<string, HandlerEntry>();
  private live = 0;

  constructor(
    private readonly defaultInterval: number,
    private readonly misses: number,
  ) {}

  /** A hello or heartbeat. Returns the entry when this handler is new (just became live). */
  seen(msg: HelloMsg, now: number): HandlerEntry | undefined {
    const entry = this.byHid.get(msg.hid);
    const interval = msg.interval && msg.interval > 0 ? msg.interval : this.defaultInterval;
    if (entry) {
      entry.lastSeen = now;
      entry.interval = interval;
      entry.capacity = msg.capacity;
      entry.inflight = msg.inflight;
      return undefined;
    }
    const created = new HandlerEntry(msg.hid, now, interval, msg.capacity, msg.inflight, msg.agent);
    this.byHid.set(msg.hid, created);
    this.live++;
    return created;
  }

  /** Any message from a handler proves it is alive. */
  touch(hid: string, now: number): HandlerEntry | undefined {
    const entry = this.byHid.get(hid);
    if (entry) entry.lastSeen = now;
    return entry;
  }

  get(hid: string): HandlerEntry | undefined {
    return this.byHid.get(hid);
  }

  /** `goodbye`: no new work goes to it; it finishes what it claimed while it keeps talking. */
  goodbye(hid: string, now: number): HandlerEntry | undefined {
    const entry = this.byHid.get(hid);
    if (entry && !entry.draining) {
      entry.draining = true;
      entry.lastSeen = now;
      this.live--;
    }
    return entry;
  }

  /** Remove and return the handlers silent for longer than their window. */
  expire(now: number): HandlerEntry[] {
    let lost: HandlerEntry[] | undefined;
    for (const entry of this.byHid.values()) {
      if (now - entry.lastSeen > entry.interval * this.misses) {
        this.byHid.delete(entry.hid);
        if (!entry.draining) this.live--;
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

  /** Shortest heartbeat window, to size the housekeeping tick. */
  get window(): number {
    return this.defaultInterval * this.misses;
  }
}
