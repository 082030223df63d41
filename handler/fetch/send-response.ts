/**
 * Sends a Fetch `Response` (or any object shaped like one) through an Exchange. A body that is
 * complete within one turn of the event loop leaves as one `head` message; a streamed body
 * leaves as `data` messages as it is produced, waiting for flow-control credit when the request
 * has a window.
 */
import type { HeaderPair } from "../../protocol/index.js";
import type { Exchange } from "../exchange.js";
import { open, upgradeOf } from "../websocket/upgrade.js";
import { bodyHolder, NativeResponse, takeWhole, type WholeResponse } from "./fast-response.js";
import { sortAndCombine } from "./init-headers.js";
import { chunkReader, headerEntries, type ResponseLike } from "./response-like.js";

/** Connection-level headers the frontend owns. */
const HOP_BY_HOP = new Set(["connection", "keep-alive", "transfer-encoding"]);

/**
 * Bodies known in full past this size get a Content-Length here. Smaller ones leave whole in
 * the head message, whose length the frontend declares itself; a larger one is sent in several
 * messages, and without the header the client would get it chunked.
 */
const DECLARE_LENGTH_FROM = 1024 * 1024;

export function responseHeaders(headers: ResponseLike["headers"]): HeaderPair[] {
  const out: HeaderPair[] = [];
  if (headers instanceof Headers) {
    // Iteration keeps each Set-Cookie separate (Fetch spec "sort and combine"); names are
    // lower-case already.
    for (const [name, value] of headers) if (!HOP_BY_HOP.has(name)) out.push([name, value]);
    return out;
  }
  for (const [name, value] of headerEntries(headers))
    if (!HOP_BY_HOP.has(name.toLowerCase())) out.push([name, value]);
  return out;
}

/** `headers` with the body's length added, unless the app gave one or the status has no body. */
function withLength(status: number, headers: HeaderPair[], bytes: number): HeaderPair[] {
  if (bytes < DECLARE_LENGTH_FROM || status === 204 || status === 304 || status < 200)
    return headers;
  for (const [name] of headers) if (name.toLowerCase() === "content-length") return headers;
  headers.push(["content-length", String(bytes)]);
  return headers;
}

function byteLength(body: string | Uint8Array): number {
  if (typeof body !== "string") return body.length;
  // A string's UTF-8 length is at most three bytes per UTF-16 unit: skip counting small ones.
  return body.length * 3 < DECLARE_LENGTH_FROM ? 0 : Buffer.byteLength(body);
}

/** undici's per-Response state symbol, found once on a Response of its own. */
let stateSymbol: symbol | null | undefined;

/**
 * True when the body was given whole (a string, bytes, a Blob...) rather than as a stream.
 * Reading such a body with arrayBuffer() costs a fraction of a stream reader's two reads. The
 * check looks at undici's internal state; if that ever changes, it answers false and the body
 * is read as a stream, which is always correct.
 */
function bodyKnownInFull(response: ResponseLike): boolean {
  if (!(response instanceof NativeResponse)) return false;
  stateSymbol ??=
    Object.getOwnPropertySymbols(new NativeResponse(null)).find((s) => s.description === "state") ??
    null;
  if (stateSymbol === null) return false;
  const state = (
    response as unknown as Record<symbol, { body?: { source?: unknown } | null } | undefined>
  )[stateSymbol];
  const source = state?.body?.source;
  return source !== null && source !== undefined;
}

type StreamBody = NonNullable<ResponseLike["body"]>;

/** The body as a stream, or null; a Response-like with only arrayBuffer() gives its bytes. */
async function bodyOf(response: ResponseLike): Promise<StreamBody | Uint8Array | null> {
  if ("body" in response && response.body !== undefined) return response.body;
  if (typeof response.arrayBuffer === "function")
    return new Uint8Array(await response.arrayBuffer());
  return null;
}

/**
 * Sends `response`. A substitute Response that the app never read the body of leaves at once,
 * with no promise: then this returns undefined; else a promise of the rest of the work.
 */
export function sendResponse(ex: Exchange, response: ResponseLike): Promise<void> | undefined {
  if (response instanceof Response) {
    const socket = upgradeOf(response);
    if (socket !== undefined) {
      open(ex, socket, responseHeaders(response.headers));
      return undefined;
    }
    const whole = takeWhole(response);
    if (whole !== undefined) {
      sendWhole(ex, whole);
      return undefined;
    }
  }
  return sendAny(ex, response);
}

/** A substitute Response as it was given: its headers as they are, its body as it is. */
function sendWhole(ex: Exchange, whole: WholeResponse): void {
  const { status, body } = whole;
  const headers = Array.isArray(whole.headers)
    ? sortAndCombine(whole.headers, HOP_BY_HOP)
    : responseHeaders(whole.headers as Headers);
  if (body === null) {
    ex.respond(status, headers, undefined, undefined, !hasLength(headers));
    return;
  }
  ex.respond(status, withLength(status, headers, byteLength(body)), body);
}

function hasLength(headers: HeaderPair[]): boolean {
  return headers.some(([n]) => n.toLowerCase() === "content-length");
}

async function sendAny(ex: Exchange, response: ResponseLike): Promise<void> {
  const real = response instanceof Response ? response : undefined;
  const status = response.status;
  const holder = real ? bodyHolder(real) : response;
  if (bodyKnownInFull(holder)) {
    const bytes = new Uint8Array(await holder.arrayBuffer!());
    if (ex.aborted) return;
    ex.writeHead(status, withLength(status, responseHeaders(response.headers), bytes.length));
    ex.end(bytes);
    return;
  }
  const body = await bodyOf(response);
  const headers = responseHeaders(response.headers);
  if (body === null || body instanceof Uint8Array) {
    if (body === null) {
      // A null body with no declared length: Node's http server would frame it chunked.
      ex.writeHead(status, headers, !hasLength(headers));
      ex.end();
    } else {
      ex.writeHead(status, withLength(status, headers, body.length));
      ex.end(body);
    }
    return;
  }
  // Headers leave now (at the end of this turn), before the first chunk: a stream whose first
  // event comes late (server-sent events) shows its status and headers at once.
  ex.writeHead(status, headers);
  await sendStream(ex, body);
}

/**
 * The body stream, chunk by chunk. A stream that fails is thrown out of here, so the caller
 * sends `error` and the client's connection is cut rather than ended as if complete.
 */
async function sendStream(ex: Exchange, body: StreamBody): Promise<void> {
  const reader = chunkReader(body);
  // A client that goes away must also stop a body that waits for its next chunk (SSE).
  ex.onAbort = () => void reader.cancel().catch(() => {});
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done || ex.aborted) break;
      if (value !== undefined && !ex.write(value)) await ex.writable();
    }
  } catch (err) {
    if (!ex.aborted) throw err;
  } finally {
    ex.onAbort = undefined;
  }
  if (ex.aborted) {
    await reader.cancel().catch(() => {});
    return;
  }
  ex.end();
}
