/**
 * An ordered send queue in front of a socket that allows one send at a time. publish() never
 * blocks and never allocates a promise; one drain loop hands messages to the socket.
 *
 * The drain starts at the end of the event-loop turn (setImmediate), not at the first push, and
 * takes everything queued by then: the payloads for one topic leave as ONE multi-frame message
 * `[topic, payload, payload, ...]` (protocol v2 batches). The replies to every request received
 * in one turn thus cost one send per frontend: each send into an idle ZeroMQ pipe wakes the I/O
 * thread (an eventfd write and a context switch), and the frontend receives them in one read.
 * Nothing waits to fill a batch: at low load a message holds one payload, sent when the turn ends.
 * While a send is pending, what is published meanwhile gathers for the next message.
 */
import { Limits } from "../../protocol/index.js";

/** Send one message: `payloads` (1..Limits.maxBatch) under `topic`. */
export type SendFrames = (topic: string, payloads: Buffer[]) => Promise<void> | void;

/**
 * A message is closed once it holds this many bytes (it always holds at least one payload), so
 * one large response does not make the replies behind it wait for all of its bytes.
 */
const MESSAGE_BYTES = 8 * 1024 * 1024;

export class PublishQueue {
  private topics: string[] = [];
  private payloads: Buffer[] = [];
  private head = 0;
  private draining = false;
  /** A drain is scheduled for the end of this turn. */
  private scheduled = false;
  private bytes = 0;
  private waiters: Array<{ below: number; resolve: () => void }> = [];
  private closed = false;

  constructor(
    private readonly send: SendFrames,
    private readonly onError: (err: unknown) => void,
  ) {}

  get queuedBytes(): number {
    return this.bytes;
  }

  get idle(): boolean {
    return !this.draining && this.head === this.topics.length;
  }

  push(topic: string, payload: Buffer): void {
    if (this.closed) return;
    this.topics.push(topic);
    this.payloads.push(payload);
    this.bytes += payload.length;
    if (this.draining || this.scheduled) return;
    this.scheduled = true;
    setImmediate(this.startDrain);
  }

  whenBelow(bytes: number): Promise<void> {
    if (this.bytes < bytes) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ below: bytes, resolve }));
  }

  /** Resolves when everything queued so far was handed to the socket (or after `ms`). */
  async flushed(ms: number): Promise<void> {
    const deadline = Date.now() + ms;
    while (!this.idle && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 5));
    }
  }

  stop(): void {
    this.closed = true;
    this.topics = [];
    this.payloads = [];
    this.head = 0;
    this.bytes = 0;
    for (const w of this.waiters.splice(0)) w.resolve();
  }

  private readonly startDrain = (): void => {
    this.scheduled = false;
    if (!this.draining && !this.closed) void this.drain();
  };

  private async drain(): Promise<void> {
    this.draining = true;
    while (this.head < this.topics.length && !this.closed) {
      const start = this.head;
      const end = this.topics.length;
      this.head = end;
      const messages =
        end - start === 1
          ? [{ topic: this.topics[start]!, payloads: [this.payloads[start]!], bytes: 0 }]
          : this.group(start, end);
      for (const m of messages) {
        try {
          const pending = this.send(m.topic, m.payloads);
          if (pending) await pending;
        } catch (err) {
          // One failed send (socket closing, oversize) must not stall the ones behind it.
          if (!this.closed) this.onError(err);
        }
        if (this.closed) break;
        for (const p of m.payloads) this.bytes -= p.length;
        if (this.waiters.length > 0) this.wake();
      }
      if (!this.closed && this.head === this.topics.length) {
        this.topics.length = 0;
        this.payloads.length = 0;
        this.head = 0;
      } else if (this.head > 1024 && this.head * 2 > this.topics.length) this.compact();
    }
    this.draining = false;
  }

  /** The payloads of [start, end) as messages: per topic, in order, within the size bounds. */
  private group(
    start: number,
    end: number,
  ): Array<{ topic: string; payloads: Buffer[]; bytes: number }> {
    const open = new Map<string, { topic: string; payloads: Buffer[]; bytes: number }>();
    const out: Array<{ topic: string; payloads: Buffer[]; bytes: number }> = [];
    for (let i = start; i < end; i++) {
      const topic = this.topics[i]!;
      const payload = this.payloads[i]!;
      let m = open.get(topic);
      if (!m || m.payloads.length >= Limits.maxBatch || m.bytes >= MESSAGE_BYTES) {
        m = { topic, payloads: [], bytes: 0 };
        open.set(topic, m);
        out.push(m);
      }
      m.payloads.push(payload);
      m.bytes += payload.length;
    }
    return out;
  }

  private compact(): void {
    this.topics = this.topics.slice(this.head);
    this.payloads = this.payloads.slice(this.head);
    this.head = 0;
  }

  private wake(): void {
    const keep: typeof this.waiters = [];
    for (const w of this.waiters) {
      if (this.bytes < w.below) w.resolve();
      else keep.push(w);
    }
    this.waiters = keep;
  }
}
