/**
 * Handler side: Ferry reply messages -> Mongrel2 replies. Mongrel2 passes reply bodies to the
 * client untouched, so this writer produces the HTTP framing Ferry's frontend would otherwise add:
 * status line, Content-Length for one-message replies, chunked coding for streamed HTTP/1.1
 * responses, close-delimited bodies for HTTP/1.0, no body (and no added framing) for HEAD, error
 * pages, WebSocket frames.
 * It keeps a little state per connection (what was sent) and nothing else: pure, no I/O.
 */
import type { HeaderPair, ReplyMsg } from "../types.js";
import { statusForWireError } from "../wire-errors.js";
import { LAST_CHUNK, httpChunk, httpHead, statusHasNoBody, webSocketFrame } from "./http-bytes.js";
import { M2Limits } from "./limits.js";
import { encodeM2Reply } from "./reply.js";

interface ResponseState {
  version: string;
  head: boolean;
  /** Status line sent. */
  started: boolean;
  chunked: boolean;
  /** No length and no chunking: the body ends when the connection closes. */
  closeDelimited: boolean;
  websocket: boolean;
  /** The response is complete (or the connection must close). */
  ended: boolean;
}

export interface M2RequestInfo {
  method: string;
  version: string;
}

export class M2ReplyWriter {
  private readonly responses = new Map<number, ResponseState>();

  constructor(private readonly uuid: string) {}

  /** Note a request on `conn` before replying to it (defaults: GET, HTTP/1.1). */
  begin(conn: number, info: M2RequestInfo): void {
    this.responses.set(conn, {
      version: info.version === "HTTP/1.0" ? "HTTP/1.0" : "HTTP/1.1",
      head: info.method === "HEAD",
      started: false,
      chunked: false,
      closeDelimited: false,
      websocket: false,
      ended: false,
    });
  }

  /** Forget a connection (after its disconnect notice). */
  forget(conn: number): void {
    this.responses.delete(conn);
  }

  private state(conn: number): ResponseState {
    let s = this.responses.get(conn);
    if (s === undefined) {
      this.begin(conn, { method: "GET", version: "HTTP/1.1" });
      s = this.responses.get(conn) as ResponseState;
    }
    return s;
  }

  /**
   * The Mongrel2 reply frames for one Ferry reply. Connections in the same state get the same
   * bytes, so the bytes are computed once per state and sent in one frame per 128 ids.
   */
  encode(msg: ReplyMsg): Buffer[] {
    const groups = new Map<string, number[]>();
    for (const conn of new Set(msg.to.map(([c]) => c))) {
      const key = stateKey(this.state(conn));
      const group = groups.get(key);
      if (group) group.push(conn);
      else groups.set(key, [conn]);
    }
    // States differ but bytes may not (a HEAD and a GET share their status line): merge those.
    const outputs: { bodies: Buffer[]; conns: number[] }[] = [];
    for (const conns of groups.values()) {
      const first = conns[0] as number;
      const bodies = this.bodiesFor(msg, first);
      const after = this.responses.get(first);
      for (const other of conns.slice(1)) {
        if (after) this.responses.set(other, { ...after });
        else this.responses.delete(other);
      }
      if (bodies.length === 0) continue;
      const same = outputs.find(
        (o) =>
          o.bodies.length === bodies.length &&
          o.bodies.every((b, i) => b.equals(bodies[i] as Buffer)),
      );
      if (same) same.conns.push(...conns);
      else outputs.push({ bodies, conns });
    }
    const frames: Buffer[] = [];
    for (const { bodies, conns } of outputs) {
      for (let i = 0; i < conns.length; i += M2Limits.maxTargets) {
        const batch = conns.slice(i, i + M2Limits.maxTargets);
        for (const body of bodies)
          frames.push(encodeM2Reply({ uuid: this.uuid, ids: batch, body }));
      }
    }
    return frames;
  }

  /** Reply bodies for one connection, in order; an empty body closes it. */
  private bodiesFor(msg: ReplyMsg, conn: number): Buffer[] {
    const s = this.state(conn);
    const out: Buffer[] = [];
    const push = (b: Buffer) => b.length > 0 && out.push(b);
    switch (msg.kind) {
      case "head":
        push(this.head(s, msg.status, msg.headers, msg.body, msg.end === true));
        break;
      case "data":
        push(this.body(s, msg.data));
        if (msg.end) push(this.finish(s));
        break;
      case "end":
        push(this.finish(s));
        break;
      case "close":
        if (s.websocket) push(webSocketFrame(8, closePayload(msg.code, msg.reason)));
        s.ended = true;
        s.closeDelimited = true;
        break;
      case "ws":
        s.websocket = true;
        push(webSocketFrame(msg.binary ? 2 : 1, msg.data));
        break;
      case "error": {
        if (s.started) {
          s.ended = true;
          s.closeDelimited = true;
          break;
        }
        const status = statusForWireError(msg.code, msg.status);
        const body = Buffer.from(`${status} ${msg.message}\n`, "utf8");
        push(this.head(s, status, [["content-type", "text/plain; charset=utf-8"]], body, true));
        break;
      }
    }
    if (s.ended) {
      // A close-delimited body (HTTP/1.0 without a length), or close/error: end it by closing.
      if (s.closeDelimited) out.push(Buffer.alloc(0));
      this.responses.delete(conn);
    }
    return out;
  }

  private head(
    s: ResponseState,
    status: number,
    given: HeaderPair[],
    body: Uint8Array | undefined,
    end: boolean,
  ): Buffer {
    const headers = given.slice();
    const has = (name: string) => headers.some(([n]) => n.toLowerCase() === name);
    s.started = true;
    if (status === 101) s.websocket = true;
    if (s.head || statusHasNoBody(status)) {
      // No body follows. A Node app's HEAD response carries no body and gets no framing (as from
      // node:http); a Fetch app's carries the GET's body, whose length it announces (as
      // @hono/node-server does). A length the app set stays.
      const length = body?.length ?? 0;
      if (s.head && end && length > 0 && !has("content-length") && !has("transfer-encoding"))
        headers.push(["content-length", String(length)]);
    } else if (end && !has("content-length") && !has("transfer-encoding")) {
      headers.push(["content-length", String(body?.length ?? 0)]);
    } else if (!end && !has("content-length")) {
      if (s.version === "HTTP/1.1" && !has("transfer-encoding")) {
        headers.push(["transfer-encoding", "chunked"]);
        s.chunked = true;
      } else if (!has("transfer-encoding")) {
        s.closeDelimited = true;
        if (!has("connection")) headers.push(["connection", "close"]);
      }
    }
    const parts = [httpHead(s.version, status, headers)];
    if (body && body.length > 0) parts.push(this.body(s, body));
    if (end) parts.push(this.finish(s));
    return Buffer.concat(parts);
  }

  private body(s: ResponseState, data: Uint8Array): Buffer {
    if (s.head || data.length === 0) return Buffer.alloc(0);
    return s.chunked ? httpChunk(data) : Buffer.from(data);
  }

  private finish(s: ResponseState): Buffer {
    const tail = s.chunked && !s.head ? LAST_CHUNK : Buffer.alloc(0);
    s.ended = !s.websocket; // after a 101 the connection carries frames until close
    return tail;
  }
}

function stateKey(s: ResponseState): string {
  return [s.version, s.head, s.started, s.chunked, s.closeDelimited, s.websocket, s.ended].join(
    "|",
  );
}

function closePayload(code: number | undefined, reason: string | undefined): Buffer {
  if (code === undefined) return Buffer.alloc(0);
  const out = Buffer.alloc(2);
  out.writeUInt16BE(code);
  return Buffer.concat([out, Buffer.from(reason ?? "", "utf8")]);
}
