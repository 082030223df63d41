/**
 * How many requests an upstream has at once: as many as its pool has connections. The rest wait
 * here in a bounded FIFO (route `queue.length`, past it 503 FERRY_UPSTREAM_BUSY) for at most
 * `queue.wait` ms (then 504 FERRY_UPSTREAM_TIMEOUT), instead of in undici's unbounded, untimed
 * pool queue. A waiter whose client leaves is taken out at once.
 */
import { ProxyError, ProxyErrorCode } from "./errors.js";

interface Waiter {
  grant: () => void;
  fail: (err: Error) => void;
  timer: NodeJS.Timeout;
}

export class UpstreamGate {
  private active = 0;
  private readonly waiting: Waiter[] = [];

  constructor(
    private readonly permits: number,
    private readonly maxWaiting: number,
    private readonly waitMs: number,
  ) {}

  get inUse(): number {
    return this.active;
  }

  get queued(): number {
    return this.waiting.length;
  }

  /** Resolves with a release function once a connection is free; rejects with a ProxyError. */
  acquire(signal: AbortSignal): Promise<() => void> {
    if (this.active < this.permits) {
      this.active++;
      return Promise.resolve(this.releaser());
    }
    if (this.waiting.length >= this.maxWaiting) {
      return Promise.reject(
        new ProxyError(ProxyErrorCode.UpstreamBusy, "every upstream connection is busy"),
      );
    }
    return new Promise((resolve, reject) => {
      const onAbort = (): void => {
        this.remove(waiter);
        reject(signal.reason instanceof Error ? signal.reason : new Error("aborted"));
      };
      const waiter: Waiter = {
        grant: () => {
          signal.removeEventListener("abort", onAbort);
          resolve(this.releaser());
        },
        fail: (err) => {
          signal.removeEventListener("abort", onAbort);
          reject(err);
        },
        timer: setTimeout(() => {
          this.remove(waiter);
          waiter.fail(
            new ProxyError(
              ProxyErrorCode.UpstreamTimeout,
              `no upstream connection free within ${this.waitMs} ms`,
            ),
          );
        }, this.waitMs),
      };
      signal.addEventListener("abort", onAbort, { once: true });
      this.waiting.push(waiter);
    });
  }

  private remove(waiter: Waiter): void {
    clearTimeout(waiter.timer);
    const i = this.waiting.indexOf(waiter);
    if (i !== -1) this.waiting.splice(i, 1);
  }

  private releaser(): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiting.shift();
      if (next === undefined) {
        this.active--;
        return;
      }
      clearTimeout(next.timer);
      next.grant();
    };
  }
}
