/**
 * A request body larger than the group's inline limit, on its way from the client to the
 * handler. It buffers at most ~HIGH_WATER bytes: past that the request stream is paused, so
 * node:http stops reading the socket and TCP pushes back on the client. The group decides when
 * bytes may leave (the handler's credit) and takes them with `take()`.
 */
import type { IncomingMessage } from "node:http";

/** Bytes read from the client but not yet sent to the handler before the client is paused. */
const HIGH_WATER = 256 * 1024;

export class Upload {
  private chunks: Buffer[] = [];
  private head = 0;
  /** Bytes read from the client, not yet taken. */
  buffered = 0;
  /** Bytes read from the client so far. */
  received = 0;
  /** Bytes taken (sent to a handler) so far. */
  sent = 0;
  /** The client sent the whole body. */
  ended = false;
  /** The handler has been told the body ended. */
  endSent = false;
  /** Bytes the claiming handler granted and that were not used yet. */
  credit = 0;
  /** performance.now() of the last bytes in or out: a moving upload is not timed out. */
  lastProgress: number;
  /** Called when bytes arrive or the body ends (the group sends what credit allows). */
  onReadable: (() => void) | undefined = undefined;
  private discarded = false;

  constructor(
    readonly req: IncomingMessage,
    /** Declared Content-Length, when there is one. */
    readonly length: number | undefined,
    now: number,
  ) {
    this.lastProgress = now;
  }

  push(chunk: Buffer): void {
    this.received += chunk.length;
    if (this.discarded) return;
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    this.lastProgress = performance.now();
    if (this.buffered >= HIGH_WATER) this.req.pause();
    this.onReadable?.();
  }

  end(): void {
    this.ended = true;
    this.onReadable?.();
  }

  /** Up to `max` buffered bytes (one chunk or part of one), or undefined when none are buffered. */
  take(max: number): Buffer | undefined {
    if (this.buffered === 0 || max <= 0) return undefined;
    let chunk = this.chunks[this.head]!;
    if (chunk.length > max) {
      this.chunks[this.head] = chunk.subarray(max);
      chunk = chunk.subarray(0, max);
    } else {
      this.chunks[this.head] = EMPTY;
      this.head++;
      if (this.head === this.chunks.length) {
        this.chunks = [];
        this.head = 0;
      }
    }
    this.buffered -= chunk.length;
    this.sent += chunk.length;
    this.lastProgress = performance.now();
    if (this.buffered < HIGH_WATER / 2 && !this.ended && this.req.isPaused()) this.req.resume();
    return chunk;
  }

  /** Everything was taken and the client finished: the last `body` message may go. */
  get drained(): boolean {
    return this.ended && this.buffered === 0;
  }

  /**
   * The body is not wanted any more (the response finished first, the exchange failed): drop
   * what is buffered and let the rest of the body flow to nowhere, so node:http can parse the
   * connection's next request.
   */
  discard(): void {
    this.discarded = true;
    this.chunks = [];
    this.head = 0;
    this.buffered = 0;
    this.credit = 0;
    this.onReadable = undefined;
    if (!this.ended) this.req.resume();
  }

  /** The handler changed (re-delivery): credit belonged to the lost one. */
  resetCredit(): void {
    this.credit = 0;
  }
}

const EMPTY = Buffer.alloc(0);
