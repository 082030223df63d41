/**
 * The concurrency limit of a handler connection: how many requests are worked on at once, the
 * requests of a batch that wait for a slot (in order), pausing the requests socket at the limit
 * and resuming it below. Kept apart from the connection because its re-entrancy (a request
 * started from the backlog may end at once and free its slot again) is subtle enough to read
 * on its own.
 */
import type { RequestMsg } from "../protocol/index.js";

export interface SlotHooks {
  /** Start this request now: it holds a slot (the hook calls take()). */
  start(msg: RequestMsg): void;
  /** At the limit: stop reading requests. */
  pause(): void;
  /** Below the limit again: read requests again. */
  resume(): void;
}

export class RequestSlots {
  /** Requests holding a slot. */
  private active = 0;
  /** Requests received past the limit (a batch), started in order as slots free. */
  private backlog: RequestMsg[] = [];
  private startingBacklog = false;
  private paused = false;
  private idleWaiters: Array<() => void> = [];

  constructor(
    private readonly limit: number,
    private readonly hooks: SlotHooks,
  ) {}

  /** Requests holding a slot or waiting for one. */
  get inflight(): number {
    return this.active + this.backlog.length;
  }

  /** A received request: started now, or (at the limit, or behind others) when a slot frees. */
  offer(msg: RequestMsg): void {
    if (this.active >= this.limit || this.backlog.length > 0) {
      this.backlog.push(msg);
      return;
    }
    this.hooks.start(msg);
  }

  /** A request starts: it holds a slot. */
  take(): void {
    this.active++;
    if (this.active >= this.limit && !this.paused) {
      this.paused = true;
      this.hooks.pause();
    }
  }

  /** A request ended or was deferred: its slot goes to a waiting one, if any. */
  release(): void {
    this.active--;
    this.startBacklog();
    // (While the backlog is being started, a request that ends at once lands here with the
    // backlog not yet empty: then the outer call decides.)
    if (this.backlog.length > 0) return;
    if (this.paused && this.active < this.limit) {
      this.paused = false;
      this.hooks.resume();
    }
    if (this.active === 0) for (const w of this.idleWaiters.splice(0)) w();
  }

  /** Resolves when no request holds a slot or waits for one, or after `timeoutMs`. */
  whenIdle(timeoutMs: number): Promise<void> {
    if (this.active === 0 && this.backlog.length === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, timeoutMs);
      this.idleWaiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  /** Start waiting requests while slots are free (not re-entered: start() may free a slot). */
  private startBacklog(): void {
    if (this.startingBacklog) return;
    this.startingBacklog = true;
    try {
      while (this.backlog.length > 0 && this.active < this.limit)
        this.hooks.start(this.backlog.shift()!);
    } finally {
      this.startingBacklog = false;
    }
  }
}
