/**
 * Writing responses: handler replies (head/data/end/close/error) and the frontend's own errors.
 * Every path that finishes an exchange goes through `finish()`, which tells the observer once.
 * Node's ServerResponse keeps pipelined responses in order and strips bodies for HEAD/204/304.
 */
import { FerryErrors, type FerryErrorCode } from "../errors.js";
import type { Exchange } from "../exchange.js";
import type { Counters } from "../metrics.js";
import type { HeaderPair } from "../../protocol/index.js";

const JSON_TYPE = "application/json; charset=utf-8";

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
    try {
      if (status < 200) throw new RangeError("informational status in head");
      if (reason === undefined) res.writeHead(status, flat as string[]);
      else res.writeHead(status, reason, flat as string[]);
    } catch (err) {
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

  end(ex: Exchange): void {
    ex.res.end();
    this.finish(ex);
  }

  /** A reply `close`: end what was sent, then close the connection (nothing sent: just close). */
  close(ex: Exchange): void {
    if (ex.headSent) ex.res.end();
    else ex.aborted = true;
    ex.conn.socket.destroySoon();
    this.finish(ex);
  }

  /**
   * A handler `error` message: its mapped status if nothing was sent yet, else close. The client
   * gets the handler's code, never its message (that is for logs: it may hold a stack trace).
   */
  handlerError(ex: Exchange, status: number, code: string): void {
    if (ex.headSent) {
      ex.aborted = true;
      ex.conn.socket.destroy();
      this.finish(ex);
      return;
    }
    this.error(ex, status, "FERRY_HANDLER_ERROR", FerryErrors.FERRY_HANDLER_ERROR.cause, code);
  }

  /** Answer with one of the frontend's own errors (or close, if the response already began). */
  fail(ex: Exchange, code: FerryErrorCode, message?: string, extra?: readonly HeaderPair[]): void {
    if (ex.headSent) {
      ex.error = code;
      ex.aborted = true;
      ex.conn.socket.destroy();
      this.finish(ex);
      return;
    }
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
    res.writeHead(status, flat);
    if (ex.method !== "HEAD") ex.bytes += body.length;
    res.end(body);
    this.finish(ex);
  }
}

/**
 * A reply head's header lines as Node takes them (name, value, name, value...): the handler's
 * headers without Transfer-Encoding (framing is the frontend's), plus Content-Length for a
 * complete reply that has none. The same for every target of a reply, so made once per message.
 */
export function headLines(
  status: number,
  headers: readonly HeaderPair[],
  body: Uint8Array | undefined,
  end: boolean,
): readonly string[] {
  const flat: string[] = [];
  let hasLength = false;
  for (let i = 0; i < headers.length; i++) {
    const pair = headers[i]!;
    const name = pair[0];
    const lower = name.length === 14 || name.length === 17 ? name.toLowerCase() : "";
    if (lower === "transfer-encoding") continue;
    if (lower === "content-length") hasLength = true;
    flat.push(name, pair[1]);
  }
  if (end && !hasLength && status !== 204 && status !== 304) {
    flat.push("content-length", String(body ? body.length : 0));
  }
  return flat;
}

function hasBody(ex: Exchange): boolean {
  const h = ex.req.headers;
  return (
    (h["content-length"] !== undefined && h["content-length"] !== "0") ||
    h["transfer-encoding"] !== undefined
  );
}
