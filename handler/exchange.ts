/**
 * One request in flight in this handler, and the low-level way to answer it. Output is
 * coalesced: a head, the body written in the same turn of the event loop and the end go out as
 * ONE `head` message; later writes go out as `data` messages, batched per turn.
 */
import type { HeaderPair, RequestMsg, Target } from "../protocol/index.js";
import { Limits } from "../protocol/index.js";
import { toBytes, type BodyInit } from "./reply-writer.js";
import type { ExchangeOwner } from "./exchange-owner.js";
import { RequestBody } from "./request-body.js";

/**
 * Where a reply goes: enough for any process (a Replier) to answer this request later. JSON-safe.
 * The token is the capability: whoever holds the address can answer the request, so pass it
 * only to processes that should.
 */
export interface ReplyAddress {
  /** Frontend id: replies are published under it. */
  fid: string;
  /** Handler id of the claimer: replies must carry it. */
  hid: string;
  conn: number;
  req: number;
  /** The request's token: the frontend drops a reply that does not quote it. */
  token: number;
}

/** The largest `data` payload sent in one message. */
const MAX_CHUNK = Math.min(Limits.maxBinary, 4 * 1024 * 1024);
/**
 * Coalesced output past this is flushed at once rather than at the end of the turn. Before the
 * head goes out a whole body up to MAX_CHUNK is held, so it leaves in the head message and the
 * frontend can frame it with Content-Length.
 */
const FLUSH_BYTES_STREAMING = 256 * 1024;

export type ExchangeState = "active" | "deferred" | "done";

export class Exchange {
  readonly fid: string;
  readonly conn: number;
  readonly req: number;
  /** The request's token: every message about it quotes it. */
  readonly token: number;
  readonly receivedAt: number;
  state: ExchangeState = "active";
  /** A claim or a reply went out: the frontend routes this request's events to us. */
  claimed = false;
  /** True once status and headers were published. */
  headSent = false;
  /** The client went away or the frontend cancelled: output is dropped from now on. */
  aborted = false;
  /** Response body bytes we may still send (flow control); Infinity without a window. */
  credit: number;
  /** Called once when the exchange is aborted (adapters tear down the app's view of it). */
  onAbort: ((reason: string) => void) | undefined;
  private pendingHead: PendingHead | undefined;
  private chunks: Uint8Array[] = [];
  private chunkBytes = 0;
  private pendingEnd = false;
  private scheduled = false;
  private controller: AbortController | undefined;
  private requestBody: RequestBody | undefined;
  private abortReason: string | undefined;
  private creditWaiters: Array<() => void> = [];
  /** This request's reply address as the wire has it: [[conn, req, token]]. */
  private readonly to: Target[];

  constructor(
    readonly request: RequestMsg,
    /** The connection that received it (WebSockets accepted on it reply through it). */
    readonly owner: ExchangeOwner,
  ) {
    this.fid = request.fid;
    this.conn = request.conn;
    this.req = request.req;
    this.token = request.token;
    this.to = [[request.conn, request.req, request.token]];
    this.receivedAt = Date.now();
    this.credit = request.window ?? Infinity;
  }

  get address(): ReplyAddress {
    return {
      fid: this.fid,
      hid: this.owner.hid,
      conn: this.conn,
      req: this.req,
      token: this.token,
    };
  }

  /** [conn, req, token]: how a reply (to this request, or to many) addresses it. */
  get target(): Target {
    return this.to[0]!;
  }

  /** The request's body (made on first use: most requests never read it). */
  get body(): RequestBody {
    if (this.requestBody === undefined) {
      this.requestBody = new RequestBody(this.request, (bytes) => this.grantBody(bytes));
      if (this.abortReason !== undefined) this.requestBody.abort(this.abortReason);
    }
    return this.requestBody;
  }

  /** Aborted when the client disconnects or the frontend cancels this request. */
  get signal(): AbortSignal {
    this.controller ??= new AbortController();
    if (this.aborted && !this.controller.signal.aborted) this.controller.abort();
    return this.controller.signal;
  }

  get finished(): boolean {
    return this.state === "done";
  }

  /**
   * A complete response in one message; `reason`: a reason phrase other than the standard one;
   * `lengthless`: as for writeHead().
   */
  respond(
    status: number,
    headers: HeaderPair[],
    body?: BodyInit,
    reason?: string,
    lengthless = false,
  ): void {
    const bytes = body === undefined ? undefined : toBytes(body);
    if (
      this.state === "done" ||
      this.headSent ||
      this.pendingHead ||
      this.pendingEnd ||
      this.chunkBytes > 0 ||
      (bytes !== undefined && bytes.length >= MAX_CHUNK)
    ) {
      this.writeHead(status, headers, lengthless, reason);
      if (bytes !== undefined) this.write(bytes);
      this.end();
      return;
    }
    // Head, body and end at once: they leave now, with no flush to schedule for later.
    this.pendingHead = { status, headers, lengthless, reason };
    if (bytes !== undefined && bytes.length > 0) {
      this.chunks.push(bytes);
      this.chunkBytes = bytes.length;
    }
    this.pendingEnd = true;
    this.flush();
  }

  /**
   * Status and headers. `lengthless`: the response declares no length and must not get one
   * (Node chose chunked framing, or a Fetch Response has a null body): the end then leaves in
   * a message of its own, so the frontend frames the body as a plain HTTP server would.
   * `reason`: the app's reason phrase (Node's `res.statusMessage`); the frontend sends it when it
   * is a valid HTTP reason-phrase, else the standard one.
   */
  writeHead(status: number, headers: HeaderPair[], lengthless = false, reason?: string): void {
    if (this.headSent || this.pendingHead || this.state === "done") return;
    this.pendingHead = { status, headers, lengthless, reason };
    this.schedule();
  }

  /**
   * Queue body bytes. Returns false when the caller should wait for `writable()` before writing
   * more (flow-control credit used up, or the replies socket is backed up).
   */
  write(chunk: BodyInit): boolean {
    if (this.state === "done" || this.pendingEnd) return false;
    const bytes = toBytes(chunk);
    if (bytes.length > 0) {
      this.chunks.push(bytes);
      this.chunkBytes += bytes.length;
    }
    if (this.chunkBytes >= (this.headSent ? FLUSH_BYTES_STREAMING : MAX_CHUNK)) this.flush();
    else this.schedule();
    return this.chunkBytes < this.credit && !this.owner.congested;
  }

  /** Resolves when more may be written (credit granted, socket drained, or aborted). */
  writable(): Promise<void> {
    if (this.aborted || this.state === "done") return Promise.resolve();
    if (this.chunkBytes >= this.credit) {
      return new Promise((resolve) => this.creditWaiters.push(resolve));
    }
    return this.owner.congested ? this.owner.whenUncongested() : Promise.resolve();
  }

  end(chunk?: BodyInit): void {
    if (this.state === "done" || this.pendingEnd) return;
    if (chunk !== undefined) this.write(chunk);
    this.pendingEnd = true;
    this.flush();
  }

  /** Close the client connection after what was sent. */
  close(): void {
    if (this.state === "done") return;
    this.flush();
    if (!this.aborted) this.owner.writer.close(this.owner.hid, this.fid, this.to);
    this.claimed = true;
    this.finish();
  }

  /** Fail the request: the frontend answers with the status mapped from `code` (or closes). */
  fail(code: string, message: string, status?: number): void {
    if (this.state === "done") return;
    this.pendingHead = undefined;
    this.chunks = [];
    this.chunkBytes = 0;
    if (!this.aborted)
      this.owner.writer.error(this.owner.hid, this.fid, this.to, code, message, status);
    this.claimed = true;
    this.finish();
  }

  /** Tell the frontend now that this handler holds the request. */
  claim(): void {
    if (this.claimed || this.state === "done" || this.aborted) return;
    this.claimed = true;
    this.owner.writer.claim(this.owner.hid, this.fid, this.target);
  }

  /**
   * The app will answer later (long-poll, server push), here or from another process through
   * a Replier: claim now and stop counting the request against the concurrency limit.
   */
  defer(): void {
    if (this.state !== "active") return;
    this.claim();
    this.flush();
    if (this.state === "active") this.owner.deferred(this);
  }

  // ------------------------------------------------------------ called by the connection

  /** Answered by a connection-level reply to many requests: done, nothing more to send. */
  settle(): void {
    this.pendingHead = undefined;
    this.chunks = [];
    this.chunkBytes = 0;
    this.claimed = true;
    this.headSent = true;
    this.finish();
  }

  /** The client went away or the request was cancelled. */
  abort(reason: string): void {
    if (this.aborted) return;
    this.aborted = true;
    this.abortReason = reason;
    this.chunks = [];
    this.chunkBytes = 0;
    this.requestBody?.abort(reason);
    this.controller?.abort(new Error(reason));
    this.onAbort?.(reason);
    this.wakeCreditWaiters();
    this.finish();
  }

  addCredit(bytes: number): void {
    this.credit += bytes;
    if (this.chunkBytes > 0) this.flush();
    if (this.chunkBytes < this.credit) this.wakeCreditWaiters();
  }

  /** Publish what is pending (called at the end of the turn, or sooner). */
  flush(): void {
    this.scheduled = false;
    if (this.state === "done" || this.aborted) return;
    const head = this.pendingHead;
    const sendable = Math.min(this.chunkBytes, this.credit);
    // A whole body larger than the window leaves in pieces: say its length up front, as a
    // plain HTTP server would, rather than let the frontend fall back to chunked framing.
    if (head && this.pendingEnd && sendable < this.chunkBytes && !head.lengthless)
      declareLength(head, this.chunkBytes);
    const body = sendable > 0 ? this.take(sendable) : undefined;
    const end = this.pendingEnd && this.chunkBytes === 0;
    const w = this.owner.writer;
    if (head) {
      this.pendingHead = undefined;
      this.headSent = true;
      this.claimed = true;
      const first = body && body.length > MAX_CHUNK ? body.subarray(0, MAX_CHUNK) : body;
      const rest =
        first && body && first.length < body.length ? body.subarray(first.length) : undefined;
      const endInHead = end && !rest && !head.lengthless;
      w.head(
        this.owner.hid,
        this.fid,
        this.to,
        head.status,
        head.headers,
        first,
        endInHead,
        head.reason,
      );
      if (rest) this.sendData(rest, end);
      else if (end && !endInHead) w.end(this.owner.hid, this.fid, this.to);
    } else if (body) {
      this.sendData(body, end);
    } else if (end) {
      if (!this.headSent) return; // nothing to end yet; end() without a head is an app error
      w.end(this.owner.hid, this.fid, this.to);
    }
    if (end) this.finish();
  }

  private sendData(body: Uint8Array, end: boolean): void {
    if (!this.headSent) return;
    this.claimed = true;
    for (let off = 0; off < body.length; off += MAX_CHUNK) {
      const last = off + MAX_CHUNK >= body.length;
      this.owner.writer.data(
        this.owner.hid,
        this.fid,
        this.to,
        body.subarray(off, off + MAX_CHUNK),
        end && last,
      );
    }
  }

  private take(n: number): Uint8Array {
    let out: Uint8Array;
    if (this.chunks.length === 1 && this.chunks[0]!.length === n) {
      out = this.chunks[0]!;
      this.chunks = [];
    } else {
      const all = Buffer.concat(this.chunks, this.chunkBytes);
      out = all.subarray(0, n);
      this.chunks = n < all.length ? [all.subarray(n)] : [];
    }
    this.chunkBytes -= n;
    if (this.credit !== Infinity) this.credit -= n;
    return out;
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    this.owner.scheduleFlush(this);
  }

  private finish(): void {
    if (this.state === "done") return;
    const was = this.state;
    this.state = "done";
    this.wakeCreditWaiters();
    this.owner.finished(this, was);
  }

  private wakeCreditWaiters(): void {
    for (const w of this.creditWaiters.splice(0)) w();
  }

  private grantBody(bytes: number): void {
    this.claim();
    if (!this.aborted) this.owner.writer.credit(this.owner.hid, this.fid, this.target, bytes);
  }
}

interface PendingHead {
  status: number;
  headers: HeaderPair[];
  lengthless: boolean;
  reason: string | undefined;
}

function declareLength(head: PendingHead, bytes: number): void {
  if (head.status === 204 || head.status === 304) return;
  for (const [name] of head.headers) if (name.toLowerCase() === "content-length") return;
  head.headers.push(["content-length", String(bytes)]);
}
