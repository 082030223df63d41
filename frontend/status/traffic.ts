/**
 * Responses per second over the last minutes, for the whole frontend and per handler group: a
 * ring of one-second slots each, bumped on the hot path (an index and two increments), read by
 * the status API. A response counts as an error when its status is 5xx.
 */
import type { Exchange } from "../exchange.js";

/** Seconds of history kept (the status page charts them). */
export const HISTORY_SECONDS = 300;

export class TrafficRing {
  requests = 0;
  errors = 0;
  private readonly perSecond = new Uint32Array(HISTORY_SECONDS);
  private readonly errorsPerSecond = new Uint32Array(HISTORY_SECONDS);
  /** The second the newest slot stands for. */
  private second = -1;

  add(second: number, error: boolean): void {
    this.advance(second);
    const slot = second % HISTORY_SECONDS;
    this.requests++;
    this.perSecond[slot]!++;
    if (error) {
      this.errors++;
      this.errorsPerSecond[slot]!++;
    }
  }

  /** Clear the slots between the newest and `second` (they had no traffic). */
  private advance(second: number): void {
    if (second <= this.second) return;
    const gap = Math.min(second - this.second, HISTORY_SECONDS);
    for (let s = second - gap + 1; s <= second; s++) {
      this.perSecond[s % HISTORY_SECONDS] = 0;
      this.errorsPerSecond[s % HISTORY_SECONDS] = 0;
    }
    this.second = second;
  }

  /** Per-second counts of the `n` whole seconds before `second`, oldest first. */
  series(second: number, n: number): { requests: number[]; errors: number[] } {
    this.advance(second);
    const requests: number[] = [];
    const errors: number[] = [];
    for (let s = second - n; s < second; s++) {
      const slot = ((s % HISTORY_SECONDS) + HISTORY_SECONDS) % HISTORY_SECONDS;
      const kept = s >= 0 && second - s < HISTORY_SECONDS;
      requests.push(kept ? this.perSecond[slot]! : 0);
      errors.push(kept ? this.errorsPerSecond[slot]! : 0);
    }
    return { requests, errors };
  }

  /** Mean responses and errors per second over the `window` whole seconds before `second`. */
  rates(second: number, window = 10): { rate: number; errorRate: number } {
    const { requests, errors } = this.series(second, window);
    const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
    return { rate: sum(requests) / window, errorRate: sum(errors) / window };
  }
}

export class TrafficStats {
  readonly all = new TrafficRing();
  readonly byGroup = new Map<string, TrafficRing>();

  /** The current second on the clock the rings use. */
  static now(): number {
    return Math.floor(performance.now() / 1000);
  }

  /** One finished exchange; counted under its route's group when it has one. */
  record(ex: Exchange): void {
    const second = TrafficStats.now();
    const error = ex.status >= 500;
    this.all.add(second, error);
    const target = ex.route?.target;
    if (target?.kind !== "handler") return;
    let ring = this.byGroup.get(target.group);
    if (ring === undefined) this.byGroup.set(target.group, (ring = new TrafficRing()));
    ring.add(second, error);
  }
}
