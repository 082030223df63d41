/**
 * Sends a Fetch `Response` through an Exchange. A body that is complete within one turn of the
 * event loop leaves as one `head` message; a streamed body leaves as `data` messages as it is
 * produced, waiting for flow-control credit when the request has a window.
 */
import type { HeaderPair } from "../../protocol/index.js";
import type { Exchange } from "../exchange.js";
import { open, upgradeOf } from "../websocket/upgrade.js";
import { bodyHolder, takeFastBody } from "./fast-response.js";

/** Connection-level headers the frontend owns. */
const HOP_BY_HOP = new Set(["connection", "keep-alive", "transfer-encoding"]);

export function responseHeaders(headers: Headers): HeaderPair[] {
  const out: HeaderPair[] = [];
  // Iteration keeps each Set-Cookie separate (Fetch spec "sort and combine").
  for (const [name, value] of headers) if (!HOP_BY_HOP.has(name)) out.push([name, value]);
  return out;
}

/** undici's per-Response state symbol, found once; null when this Response has none. */
let stateSymbol: symbol | null | undefined;

/**
 * True when the body was given whole (a string, bytes, a Blob...) rather than as a stream.
 * Reading such a body with arrayBuffer() costs a fraction of a stream reader's two reads. The
 * check looks at undici's internal state; if that ever changes, it answers false and the body
 * is read as a stream, which is always correct.
 */
function bodyKnownInFull(response: Response): boolean {
  if (stateSymbol === undefined) {
    stateSymbol =
      Object.getOwnPropertySymbols(response).find((s) => s.description === "state") ?? null;
  }
  if (stateSymbol === null) return false;
  const state = (
    response as unknown as Record<symbol, { body?: { source?: unknown } | null } | undefined>
  )[stateSymbol];
  const source = state?.body?.source;
  return source !== null && source !== undefined;
}

export async function sendResponse(ex: Exchange, response: Response): Promise<void> {
  const socket = upgradeOf(response);
  if (socket !== undefined) return open(ex, socket, responseHeaders(response.headers));
  const fast = takeFastBody(response);
  if (fast !== undefined) {
    // A body given whole to the substitute Response: its bytes, with no stream in between.
    ex.writeHead(response.status, responseHeaders(response.headers));
    ex.end(fast);
    return;
  }
  const body = response.body;
  // A null body with no declared length: Node's http server would frame it chunked.
  const lengthless = !body && !response.headers.has("content-length");
  ex.writeHead(response.status, responseHeaders(response.headers), lengthless);
  if (!body) {
    ex.end();
    return;
  }
  if (bodyKnownInFull(bodyHolder(response))) {
    const bytes = new Uint8Array(await response.arrayBuffer());
    if (!ex.aborted) ex.end(bytes);
    return;
  }
  const reader = body.getReader();
  // A client that goes away must also stop a body that waits for its next chunk (SSE).
  ex.onAbort = () => void reader.cancel().catch(() => {});
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done || ex.aborted) break;
      if (!ex.write(value)) await ex.writable();
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
