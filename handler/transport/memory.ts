/**
 * An in-memory transport for unit tests of the SDK: the test plays the frontend by calling
 * request()/event() and reading `published`. Same contract as the ZeroMQ transport.
 */
import type { Transport, TransportSink } from "./types.js";

export class MemoryTransport implements Transport {
  readonly published: Array<{ topic: string; payload: Buffer }> = [];
  hid = "";
  paused = false;
  stopped = false;
  closed = false;
  private sink: TransportSink | undefined;
  /** Messages held while paused (each one or more request payloads). */
  private backlog: Buffer[][] = [];
  private listeners = new Set<() => void>();

  get queuedBytes(): number {
    return 0;
  }

  start(hid: string, sink: TransportSink): void {
    this.hid = hid;
    this.sink = sink;
  }

  publish(topic: string, payload: Buffer): void {
    if (this.closed) return;
    this.published.push({ topic, payload });
    for (const l of this.listeners) l();
  }

  whenBelow(): Promise<void> {
    return Promise.resolve();
  }

  /** Calls `fn` after every publish until it returns true. */
  waitFor(fn: () => boolean, timeoutMs = 10_000): Promise<void> {
    if (fn()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.listeners.delete(check);
        reject(new Error("timed out waiting for a published message"));
      }, timeoutMs);
      const check = () => {
        if (!fn()) return;
        clearTimeout(timer);
        this.listeners.delete(check);
        resolve();
      };
      this.listeners.add(check);
    });
  }

  pauseRequests(): void {
    this.paused = true;
  }

  resumeRequests(): void {
    this.paused = false;
    while (!this.paused && this.backlog.length > 0) this.deliver(this.backlog.shift()!);
  }

  async stopRequests(): Promise<void> {
    this.stopped = true;
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  /** The frontend pushes a request: delivered now, or held while the handler is paused. */
  request(payload: Buffer): void {
    this.requests([payload]);
  }

  /**
   * The frontend pushes several requests in one message (a batch). As over ZeroMQ, a message is
   * taken whole: each request in order, even past the point where the handler pauses.
   */
  requests(payloads: Buffer[]): void {
    if (this.stopped) return;
    if (this.paused) this.backlog.push(payloads);
    else this.deliver(payloads);
  }

  private deliver(payloads: Buffer[]): void {
    for (const p of payloads) this.sink?.request(p);
  }

  /** The frontend publishes an event under `topic` (delivered if it is the hid or "*"). */
  event(topic: string, payload: Buffer): void {
    if (topic === this.hid || topic === "*") this.sink?.event(payload);
  }

  peer(topic: string): void {
    this.sink?.peer(topic);
  }

  gone(topic: string): void {
    this.sink?.gone?.(topic);
  }

  get backlogLength(): number {
    return this.backlog.length;
  }
}
