/**
 * Sends the explicit claim for requests the app has not answered within `afterMs`. One timer
 * for all of them: requests arrive in time order, so a FIFO queue is already sorted.
 */
import type { Exchange } from "./exchange.js";

export class ClaimTimer {
  private queue: Exchange[] = [];
  private head = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly afterMs: number) {}

  add(exchange: Exchange): void {
    this.queue.push(exchange);
    if (!this.timer) this.arm(this.afterMs);
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.queue = [];
    this.head = 0;
  }

  private arm(ms: number): void {
    this.timer = setTimeout(() => this.fire(), Math.max(1, ms));
  }

  private fire(): void {
    this.timer = undefined;
    const due = Date.now() - this.afterMs;
    while (this.head < this.queue.length) {
      const ex = this.queue[this.head]!;
      if (ex.receivedAt > due && !ex.claimed && ex.state !== "done") {
        this.arm(ex.receivedAt - due);
        break;
      }
      this.head++;
      // Already answered (the claim rode on the reply) or gone: nothing to send.
      if (!ex.claimed && ex.state !== "done") ex.claim();
    }
    if (this.head === this.queue.length) {
      this.queue = [];
      this.head = 0;
    } else if (this.head > 1024) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
  }
}
