/**
 * The body of one request as a stream of chunks: the inline `body` of the request message, or
 * (when the frontend streams it) `body` events, for which this side grants credit as it reads.
 */
import type { RequestMsg } from "../protocol/index.js";

/** Credit granted per step when the frontend streams a body. */
const BODY_CREDIT = 256 * 1024;
const EMPTY = new Uint8Array(0);

export class RequestBody {
  readonly streamed: boolean;
  private chunks: Uint8Array[] = [];
  private ended: boolean;
  private error: Error | undefined;
  private wake: (() => void) | undefined;
  private granted = false;

  constructor(
    private readonly request: RequestMsg,
    private readonly grant: (bytes: number) => void,
  ) {
    this.streamed = request.stream === true;
    this.ended = !this.streamed;
  }

  /** The whole body when it came inline (the common case); undefined when streamed. */
  get inline(): Uint8Array | undefined {
    return this.streamed ? undefined : (this.request.body ?? EMPTY);
  }

  /** A `body` event arrived for this request. */
  push(data: Uint8Array, end: boolean): void {
    if (this.ended) return;
    if (data.length > 0) this.chunks.push(data);
    if (end) this.ended = true;
    this.wakeReader();
  }

  abort(reason: string): void {
    if (this.ended) return;
    this.error = new Error(reason);
    this.ended = true;
    this.wakeReader();
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<Uint8Array> {
    const inline = this.inline;
    if (inline !== undefined) {
      if (inline.length > 0) yield inline;
      return;
    }
    if (!this.granted) {
      this.granted = true;
      this.grant(BODY_CREDIT);
    }
    for (;;) {
      const chunk = this.chunks.shift();
      if (chunk) {
        yield chunk;
        if (!this.ended) this.grant(chunk.length);
        continue;
      }
      if (this.error) throw this.error;
      if (this.ended) return;
      await new Promise<void>((r) => (this.wake = r));
    }
  }

  private wakeReader(): void {
    const w = this.wake;
    this.wake = undefined;
    w?.();
  }
}
