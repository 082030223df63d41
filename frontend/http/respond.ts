/**
 * Writing responses: handler replies (head/data/end/close/error) and the frontend's own errors.
 * Every path that finishes an exchange goes through `finish()`, which tells the observer once.
 * Node's ServerResponse keeps pipelined responses in order and strips bodies for HEAD/204/304.
 */
import { STATUS_CODES, type ServerResponse } from "node:http";
import type { Socket } from "node:net";
import { FerryErrors, type FerryErrorCode } from "../errors.js";
import type { Exchange } from "../exchange.js";
import type { Counters } from "../metrics.js";
import type { HeaderPair } from "../../protocol/index.js";
import { replyFraming } from "./reply-framing.js";
import { resetSocket } from "./reset.js";

const JSON_TYPE = "application/json; charset=utf-8";
const EMPTY = Buffer.alloc(0);

/** Header lines from `headLines`, with what the frontend learned about the reply's framing. */
export type ReplyHeadLines = readonly string[] & {
  /** The handler's Content-Length (kept for HEAD and 304, whose bodies are never sent). */
  readonly declaredLength?: number;
  /** Why the head cannot be framed (502 FERRY_BAD_REPLY), when it cannot. */
  readonly badFraming?: string;
};

/** The standard reason phrase: every status the frontend writes carries its own. */
export function reasonPhrase(status: number): string {
  return STATUS_CODES[status] ?? "Unknown";
}

/**
 * End a response that cannot finish: what was written (the head, some body) reaches the client
 * first, then the connection is reset, so neither a chunked nor a Content-Length response can
 * look complete. A response queued behind earlier ones on its connection is reset once it is
 * its turn and its bytes are out.
 */
export function resetAfterFlush(res: ServerResponse, socket: Socket): void {
  const assigned = res.socket;
  if (assigned === null || assigned === undefined) {
    if (socket.destroyed) return;
    // node:http flushes a queued response right after `socket`: reset after that write.
    res.once("socket", (s: Socket) => setImmediate(() => flushThenReset(s)));
    return;
  }
  flushThenReset(assigned as Socket);
}

/**
 * How long a cut connection lingers between its last bytes and the reset. A reset that arrives
 * before the client has read those bytes can be reported to it as a plain end of stream (the
 * kernel gives the data, then EOF); a moment's wait lets a reading client see the reset itself.
 */
const RESET_LINGER_MS = 25;

function flushThenReset(socket: Socket): void {
  if (socket.destroyed) return;
  // Nothing more is read: no further request on this connection is parsed or answered.
  socket.pause();
  // An empty write completes after every write before it: then the bytes are in the kernel.
  socket.write(EMPTY, () => {
    setTimeout(() => {
      if (!socket.destroyed) resetSocket(socket);
    }, RESET_LINGER_MS).unref();
  });
}

export class Responder {
  /** Set while the frontend stops: every response closes its connection. */
  stopping = false;

  constructor(
    private readonly counters: Counters,
    private readonly connectionQueueBytes: number,
  ) {}

  private finish(ex: Exchange): void {
    if (ex.done) return;
    ex.done = true;
    ex.observer.exchangeDone(ex);
  }

  /**
   * A reply `head`, its header lines made by `headLines`. Returns false (and answers 502
   * FERRY_BAD_REPLY) when Node refuses the status or a header, so one bad header never becomes a
   * half-written response.
   */
  head(
    ex: Exchange,
    status: number,
    flat: readonly string[],
    body: Uint8Array | undefined,
    end: boolean,
    /** A reason phrase the caller checked (RFC 9112); absent: the standard one. */
    reason?: string,
  ): boolean {
    const res = ex.res;
    if (this.stopping) res.shouldKeepAlive = false;
    const lines = flat as ReplyHeadLines;
    if (lines.badFraming !== undefined) {
      this.counters.badReplies++;
      this.fail(ex, "FERRY_BAD_REPLY", `invalid reply head: ${lines.badFraming}`);
      return false;
    }
    let headers = flat as string[];
    // A bodiless answer (HEAD, 304) may say how long the body would have been.
    if (lines.declaredLength !== undefined && (ex.method === "HEAD" || status === 304)) {
      headers = withLength(flat, lines.declaredLength);
    } else if (!end && lines.declaredLength !== undefined) ex.declared = lines.declaredLength;
    try {
      if (status < 200) throw new RangeError("informational status in head");
      res.writeHead(status, reason ?? reasonPhrase(status), headers);
    } catch (err) {
      ex.declared = -1;
      this.counters.badReplies++;
      this.fail(ex, "FERRY_BAD_REPLY", `invalid reply head: ${(err as Error).message}`);
      return false;
    }
    ex.status = status;
    ex.headSent = true;
    if (end) {
      if (body && body.length > 0) {
        if (ex.method !== "HEAD") ex.bytes += body.length;
        res.end(body);
      } else res.end();
      this.finish(ex);
    } else if (body && body.length > 0) {
      this.write(ex, body);
    } else {
      // A head with no body yet (server-sent events, a slow stream): the client gets status
      // and headers now, as from a Node server that flushes them, not with the first chunk.
      res.flushHeaders();
    }
    return true;
  }

  /** A reply `data` chunk (only after the head). */
  data(ex: Exchange, data: Uint8Array, end: boolean): void {
    if (data.length > 0) this.write(ex, data);
    if (end && !ex.done) this.end(ex);
  }

  private write(ex: Exchange, data: Uint8Array): void {
    if (ex.declared >= 0 && ex.method !== "HEAD" && ex.bytes + data.length > ex.declared) {
      return this.overrun(ex, data);
    }
    if (ex.method !== "HEAD") ex.bytes += data.length;
    const res = ex.res;
    if (ex.window > 0) {
      const n = data.length;
      res.write(data, () => this.drained(ex, n));
    } else res.write(data);
    // A client that does not read must not make the frontend buffer without bound.
    if (res.writableLength > this.connectionQueueBytes) {
      this.counters.slowClientsClosed++;
      ex.aborted = true;
      ex.conn.socket.destroy();
      this.finish(ex);
    }
  }

  /**
   * `n` bytes of the response reached the client's socket: credit the handler in steps of a
   * quarter window, and all that is owed once nothing is left buffered (so a handler waiting
   * for the last bytes of its window is never stuck).
   */
  private drained(ex: Exchange, n: number): void {
    ex.drained += n;
    if (ex.done) return;
    const owed = ex.drained - ex.credited;
    if (owed >= ex.window >> 2 || (owed > 0 && ex.res.writableLength === 0)) {
      ex.credited = ex.drained;
      ex.group?.credit(ex, owed);
    }
  }

  /**
   * More body than the response's Content-Length declared: the declared bytes go, the rest never
   * does (on a keep-alive connection it would be read as the next response), and the connection
   * closes after them.
   */
  private overrun(ex: Exchange, data: Uint8Array): void {
    this.counters.badReplies++;
    ex.error = "FERRY_BAD_REPLY";
    const room = ex.declared - ex.bytes;
    if (room > 0) {
      ex.bytes += room;
      ex.res.write(data.subarray(0, room));
    }
    ex.res.end();
    ex.conn.socket.destroySoon();
    this.finish(ex);
  }

  end(ex: Exchange): void {
    if (ex.declared >= 0 && ex.method !== "HEAD" && ex.bytes < ex.declared) {
      // Fewer bytes than declared: a clean end would let the client wait for the rest, or take
      // the next response's bytes for them.
      this.counters.badReplies++;
      return this.cut(ex, "FERRY_BAD_REPLY");
    }
    ex.res.end();
    this.finish(ex);
  }

  /**
   * A reply `close` before the response's `end`. Nothing sent yet: the connection just closes.
   * After the head, the body is incomplete, so the response is cut like an `error` (what was
   * written goes, then a reset): never a terminating chunk nor a clean close that a client could
   * take for a whole body. A bodiless response (HEAD, 204, 304) is whole once its head is out: it
   * ends, then the connection closes. `closeDelimited`: the close is the body's end (a Mongrel2
   * handler's close-delimited response), so it ends cleanly unless a Content-Length is unmet.
   */
  close(ex: Exchange, closeDelimited = false): void {
    const bodiless = ex.method === "HEAD" || ex.status === 204 || ex.status === 304;
    const short = ex.declared >= 0 && ex.method !== "HEAD" && ex.bytes < ex.declared;
    if (ex.headSent && !bodiless && (!closeDelimited || short)) return this.cut(ex, undefined);
    if (ex.headSent) ex.res.end();
    else ex.aborted = true;
    ex.conn.socket.destroySoon();
    this.finish(ex);
  }

  /** The response began and cannot finish: its bytes go out, then the connection is reset. */
  private cut(ex: Exchange, code: FerryErrorCode | undefined): void {
    if (code !== undefined) ex.error = code;
    ex.aborted = true;
    ex.res.shouldKeepAlive = false;
    resetAfterFlush(ex.res, ex.conn.socket);
    this.finish(ex);
  }

  /**
   * A handler `error` message: its mapped status if nothing was sent yet, else the connection is
   * cut. The client gets the handler's code, never its message (that is for logs: it may hold a
   * stack trace).
   */
  handlerError(ex: Exchange, status: number, code: string): void {
    if (ex.headSent) return this.cut(ex, "FERRY_HANDLER_ERROR");
    this.error(ex, status, "FERRY_HANDLER_ERROR", FerryErrors.FERRY_HANDLER_ERROR.cause, code);
  }

  /** Answer with one of the frontend's own errors (or close, if the response already began). */
  fail(ex: Exchange, code: FerryErrorCode, message?: string, extra?: readonly HeaderPair[]): void {
    if (ex.headSent) return this.cut(ex, code);
    const status = FerryErrors[code].status ?? 500;
    this.error(ex, status, code, message ?? FerryErrors[code].cause, undefined, extra);
  }

  private error(
    ex: Exchange,
    status: number,
    code: FerryErrorCode,
    message: string,
    handlerCode?: string,
    extra?: readonly HeaderPair[],
  ): void {
    const body = Buffer.from(
      JSON.stringify(
        handlerCode ? { error: { code: handlerCode, message } } : { error: { code, message } },
      ) + "\n",
    );
    const res = ex.res;
    const flat = [
      "content-type",
      JSON_TYPE,
      "content-length",
      String(body.length),
      "x-ferry-error",
      handlerCode ?? code,
    ];
    if (extra) for (const [k, v] of extra) flat.push(k, v);
    // An unread request body would be parsed as the next request: close instead.
    if (this.stopping || (!ex.req.complete && hasBody(ex))) res.shouldKeepAlive = false;
    ex.error = code;
    ex.status = status;
    ex.headSent = true;
    res.writeHead(status, reasonPhrase(status), flat);
    if (ex.method !== "HEAD") ex.bytes += body.length;
    res.end(body);
    this.finish(ex);
  }
}

/**
 * A reply head's header lines as Node takes them (name, value, name, value...): the handler's
 * headers without Content-Length and Transfer-Encoding (framing is the frontend's, see
 * reply-framing.ts), then the frontend's own Content-Length: the body's length for a whole
 * reply, the declared one for a streamed reply that has one (enforced as bytes are sent), none
 * for a streamed reply without (chunked). The same for every target of a reply, so made once
 * per message.
 */
export function headLines(
  status: number,
  headers: readonly HeaderPair[],
  body: Uint8Array | undefined,
  end: boolean,
): ReplyHeadLines {
  const flat: string[] = [];
  // The frontend sets the length itself, but where and in the case the app wrote it.
  let lengthAt = -1;
  for (let i = 0; i < headers.length; i++) {
    const pair = headers[i]!;
    const name = pair[0];
    const lower = name.length === 14 || name.length === 17 ? name.toLowerCase() : "";
    if (lower === "transfer-encoding") continue;
    if (lower === "content-length") {
      if (lengthAt === -1) {
        lengthAt = flat.length;
        flat.push(name, "");
      }
      continue;
    }
    flat.push(name, pair[1]);
  }
  const framing = replyFraming(headers);
  const bodiless = status === 204 || status === 304 || status < 200;
  let length: string | undefined;
  if (end && !bodiless) length = String(body ? body.length : 0);
  else if (!end && !bodiless && framing.length !== undefined) length = String(framing.length);
  if (length === undefined) {
    if (lengthAt !== -1) flat.splice(lengthAt, 2);
  } else if (lengthAt !== -1) flat[lengthAt + 1] = length;
  else flat.push("content-length", length);
  const lines = flat as string[] & { declaredLength?: number; badFraming?: string };
  if (framing.problem !== undefined) lines.badFraming = framing.problem;
  else if (framing.length !== undefined && status !== 204) lines.declaredLength = framing.length;
  return lines;
}

/** `flat` with its Content-Length (if any) replaced by `length`. */
function withLength(flat: readonly string[], length: number): string[] {
  const out: string[] = [];
  let set = false;
  for (let i = 0; i < flat.length; i += 2) {
    if (flat[i]!.length === 14 && flat[i]!.toLowerCase() === "content-length") {
      if (!set) out.push(flat[i]!, String(length));
      set = true;
      continue;
    }
    out.push(flat[i]!, flat[i + 1]!);
  }
  if (!set) out.push("content-length", String(length));
  return out;
}

function hasBody(ex: Exchange): boolean {
  const h = ex.req.headers;
  return (
    (h["content-length"] !== undefined && h["content-length"] !== "0") ||
    h["transfer-encoding"] !== undefined
  );
}
