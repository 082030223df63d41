/**
 * Reads the raw HTTP/1.x response a Mongrel2 handler writes, so the frontend knows where it
 * ends. Mongrel2 copies reply bytes to the client untouched; Ferry instead parses the status
 * line and headers (the response is then written through node:http, which keeps keep-alive and
 * pipelining right) and follows the head's framing: Content-Length, chunked (de-chunked here,
 * re-framed by Node), no body (HEAD, 1xx, 204, 304), or none given: the body lasts until the
 * handler closes the connection. 1xx interim responses are skipped. Bytes past the end of the
 * response are returned: they belong to the connection's next (pipelined) request.
 *
 * A response to HEAD ends with its head, but many Mongrel2 handlers write the body anyway
 * (Mongrel2's own Python library always does; Mongrel2 passes it on and clients ignore it). So
 * after a HEAD head that declares `Content-Length: N`, up to N bytes that follow are the stray
 * body and are dropped, unless they start as a status line does (`HTTP/`): then the handler sent
 * no body, and they are the next response.
 */
import type { HeaderPair } from "../../protocol/index.js";

export type M2ResponseEvent =
  | { type: "head"; status: number; headers: HeaderPair[] }
  | { type: "data"; data: Buffer }
  | { type: "end" };

export class M2ResponseError extends Error {
  readonly code = "ERR_M2_RESPONSE";
}

type State = "head" | "length" | "close" | "size" | "chunk" | "chunk-crlf" | "trailer" | "done";

const CRLF = Buffer.from("\r\n");
const STATUS_START = Buffer.from("HTTP/");
const HEAD_END = Buffer.from("\r\n\r\n");
/** Largest response head accepted (status line and headers). */
export const M2_MAX_HEAD_BYTES = 64 * 1024;
const STATUS_LINE = /^HTTP\/1\.[01] (\d{3})(?: .*)?$/;

export class M2ResponseReader {
  private state: State = "head";
  private pending: Buffer | undefined;
  private remaining = 0;
  /** After a HEAD head with a length: body bytes the handler may still write, to be dropped. */
  private stray = 0;
  /** Whether the bytes after that head were seen to be a body (not the next response). */
  private strayStarted = false;

  /** `bodiless`: the request was HEAD, so the response has no body whatever its headers say. */
  constructor(private readonly bodiless: boolean) {}

  /** The body runs until the handler closes the connection (no length, not chunked). */
  get closeDelimited(): boolean {
    return this.state === "close";
  }

  get done(): boolean {
    return this.state === "done";
  }

  /** Done, but a HEAD response's stray body may still come: feed what follows here first. */
  get skipping(): boolean {
    return this.state === "done" && this.stray > 0;
  }

  /**
   * Consume bytes; events go to `out`. Returns the bytes after the end of the response (empty
   * while it is not complete). Throws M2ResponseError on bytes that are not an HTTP response.
   */
  feed(input: Buffer, out: M2ResponseEvent[]): Buffer {
    let buf = this.pending ? Buffer.concat([this.pending, input]) : input;
    this.pending = undefined;
    while (buf.length > 0) {
      switch (this.state) {
        case "head": {
          const end = buf.indexOf(HEAD_END);
          if (end < 0) {
            if (buf.length > M2_MAX_HEAD_BYTES)
              throw new M2ResponseError(`response head over ${M2_MAX_HEAD_BYTES} bytes`);
            this.pending = buf;
            return EMPTY;
          }
          this.head(buf.toString("latin1", 0, end), out);
          buf = buf.subarray(end + 4);
          break;
        }
        case "length": {
          const n = Math.min(this.remaining, buf.length);
          out.push({ type: "data", data: buf.subarray(0, n) });
          buf = buf.subarray(n);
          this.remaining -= n;
          if (this.remaining === 0) this.finish(out);
          break;
        }
        case "close":
          out.push({ type: "data", data: buf });
          return EMPTY;
        case "size":
        case "trailer": {
          const eol = buf.indexOf(CRLF);
          if (eol < 0) {
            if (buf.length > 4096) throw new M2ResponseError("chunk-size or trailer line too long");
            this.pending = buf;
            return EMPTY;
          }
          const line = buf.toString("latin1", 0, eol);
          buf = buf.subarray(eol + 2);
          if (this.state === "trailer") {
            if (line === "") this.finish(out);
            break;
          }
          const size = /^[0-9a-fA-F]{1,12}$/.test(line.split(";")[0]!.trim())
            ? parseInt(line, 16)
            : NaN;
          if (Number.isNaN(size))
            throw new M2ResponseError(`bad chunk size ${JSON.stringify(line.slice(0, 20))}`);
          this.remaining = size;
          this.state = size === 0 ? "trailer" : "chunk";
          break;
        }
        case "chunk": {
          const n = Math.min(this.remaining, buf.length);
          out.push({ type: "data", data: buf.subarray(0, n) });
          buf = buf.subarray(n);
          this.remaining -= n;
          if (this.remaining === 0) this.state = "chunk-crlf";
          break;
        }
        case "chunk-crlf": {
          if (buf.length < 2) {
            this.pending = buf;
            return EMPTY;
          }
          if (buf[0] !== 13 || buf[1] !== 10)
            throw new M2ResponseError("chunk not followed by CRLF");
          buf = buf.subarray(2);
          this.state = "size";
          break;
        }
        case "done":
          if (this.stray === 0) return buf;
          if (!this.strayStarted && buf.length < STATUS_START.length && isStatusStart(buf)) {
            this.pending = buf; // "HTT": wait for the bytes that tell
            return EMPTY;
          }
          buf = this.skipStray(buf);
          break;
      }
    }
    return EMPTY;
  }

  private skipStray(buf: Buffer): Buffer {
    if (!this.strayStarted) {
      if (isStatusStart(buf)) {
        this.stray = 0; // no body: the next response begins
        return buf;
      }
      this.strayStarted = true;
    }
    const n = Math.min(this.stray, buf.length);
    this.stray -= n;
    return buf.subarray(n);
  }

  private finish(out: M2ResponseEvent[]): void {
    this.state = "done";
    out.push({ type: "end" });
  }

  private head(text: string, out: M2ResponseEvent[]): void {
    const lines = text.split("\r\n");
    const match = STATUS_LINE.exec(lines[0]!);
    if (!match)
      throw new M2ResponseError(`bad status line ${JSON.stringify(lines[0]!.slice(0, 40))}`);
    const status = Number(match[1]);
    if (status >= 100 && status < 200) {
      if (status === 101)
        throw new M2ResponseError(
          "101 Switching Protocols: upgrades are not supported on mongrel2 groups",
        );
      return; // interim response: the frontend handles 100-continue itself
    }
    const headers: HeaderPair[] = [];
    let length: number | undefined;
    let chunked = false;
    for (let i = 1; i < lines.length; i++) {
      const line = lines[i]!;
      const colon = line.indexOf(":");
      if (colon <= 0)
        throw new M2ResponseError(`bad header line ${JSON.stringify(line.slice(0, 40))}`);
      const name = line.slice(0, colon).trim();
      const value = line.slice(colon + 1).trim();
      const lower = name.toLowerCase();
      if (lower === "content-length") {
        if (!/^\d{1,15}$/.test(value) || (length !== undefined && length !== Number(value))) {
          throw new M2ResponseError(`bad content-length ${JSON.stringify(value.slice(0, 20))}`);
        }
        length = Number(value);
      } else if (lower === "transfer-encoding") {
        chunked = value.toLowerCase().split(",").pop()!.trim() === "chunked";
        continue; // node:http does the framing on the client side
      }
      headers.push([name, value]);
    }
    // Chunked wins over a length (RFC 9112 6.3); Node must not be told a length it will not get.
    out.push({
      type: "head",
      status,
      headers: chunked ? headers.filter(([n]) => n.toLowerCase() !== "content-length") : headers,
    });
    if (this.bodiless && !chunked && length !== undefined) this.stray = length;
    if (this.bodiless || status === 204 || status === 304) this.finish(out);
    else if (chunked) this.state = "size";
    else if (length === undefined) this.state = "close";
    else if (length === 0) this.finish(out);
    else {
      this.remaining = length;
      this.state = "length";
    }
  }
}

const EMPTY = Buffer.alloc(0);

/** Whether `buf` starts with `HTTP/`, or is all a beginning of it. */
function isStatusStart(buf: Buffer): boolean {
  const n = Math.min(buf.length, STATUS_START.length);
  return buf.subarray(0, n).equals(STATUS_START.subarray(0, n));
}
