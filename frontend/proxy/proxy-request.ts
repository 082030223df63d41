/**
 * The proxy route target: `proxyRequest(req, res, route)` forwards one request to the route's
 * upstream and streams both bodies with backpressure (a slow reader on either side slows the
 * other instead of filling memory).
 */
import { STATUS_CODES, type IncomingMessage, type ServerResponse } from "node:http";
import type { Socket } from "node:net";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { Dispatcher } from "undici";
import type { ProxyRouteConfig } from "./config.js";
import { ProxyError, ProxyErrorCode, toProxyError } from "./errors.js";
import { clientResponseHeaders, upstreamRequestHeaders } from "./headers.js";
import { UpstreamPools } from "./pools.js";
import { resetSocket } from "../http/reset.js";

export interface ProxyOptions {
  /** Fires when the client has left (every pipelined request, not only the head one). */
  signal?: AbortSignal;
  /** Largest request body forwarded (limits.bodyBytes); larger: 413 FERRY_BODY_TOO_LARGE. */
  maxBodyBytes?: number;
}

export type ProxyHandler = (
  req: IncomingMessage,
  res: ServerResponse,
  route: ProxyRouteConfig,
  options?: ProxyOptions,
) => Promise<void>;

/** Path and query for the upstream: its base path, then the request's path below stripPrefix. */
export function upstreamPath(target: string, route: ProxyRouteConfig): string {
  let path = target.startsWith("/") ? target : `/${target}`;
  const prefix = route.stripPrefix?.replace(/\/$/, "");
  if (
    prefix &&
    (path === prefix || path.startsWith(`${prefix}/`) || path.startsWith(`${prefix}?`))
  ) {
    path = path.slice(prefix.length);
    if (!path.startsWith("/")) path = `/${path}`;
  }
  const base = new URL(route.upstream).pathname.replace(/\/$/, "");
  return base + path;
}

/** A request has a body when it says so: Content-Length above 0 or any Transfer-Encoding. */
function hasBody(req: IncomingMessage): boolean {
  if (req.headers["transfer-encoding"] !== undefined) return true;
  const length = req.headers["content-length"];
  return length !== undefined && length !== "0";
}

/**
 * The request body, failing with 413 once it passes `max` bytes. Read without destroying the
 * request on that failure, so the client can still be told.
 */
async function* limitedBody(req: IncomingMessage, max: number): AsyncGenerator<Buffer> {
  let n = 0;
  for await (const chunk of req.iterator({ destroyOnReturn: false })) {
    n += (chunk as Buffer).length;
    if (n > max) throw tooLarge(max);
    yield chunk as Buffer;
  }
}

/**
 * Bodies up to this size (by Content-Length) are read whole before an upstream connection is
 * taken, so a client trickling a small body holds no connection of the pool meanwhile.
 */
const READ_FIRST_BYTES = 64 * 1024;

async function readWhole(req: IncomingMessage, length: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const chunk of req.iterator({ destroyOnReturn: false })) {
    chunks.push(chunk as Buffer);
    n += (chunk as Buffer).length;
  }
  if (n !== length) throw new Error("request body ended early");
  return Buffer.concat(chunks, n);
}

function tooLarge(max: number): ProxyError {
  return new ProxyError(
    ProxyErrorCode.BodyTooLarge,
    `request body larger than ${max} bytes (limits.bodyBytes)`,
  );
}

/**
 * The frontend's error shape: status, `x-ferry-error: CODE`, and a JSON body
 * `{"error":{"code","message"}}`.
 */
export function sendProxyError(res: ServerResponse, error: ProxyError): void {
  const body = Buffer.from(
    `${JSON.stringify({ error: { code: error.code, message: error.message } })}\n`,
  );
  // An unread request body would be parsed as the next request: close instead.
  if (!res.req.complete) res.shouldKeepAlive = false;
  res.writeHead(error.status, STATUS_CODES[error.status] ?? "Unknown", {
    "content-type": "application/json; charset=utf-8",
    "content-length": body.length,
    "x-ferry-error": error.code,
    ...(error.code === ProxyErrorCode.UpstreamBusy && { "retry-after": "1" }),
  });
  res.end(res.req.method === "HEAD" ? undefined : body);
}

export function createProxyHandler(pools: UpstreamPools): ProxyHandler {
  return async (req, res, route, options = {}) => {
    const abort = new AbortController();
    // The client went away before the response ended: stop the upstream exchange too.
    const onClose = () => {
      if (!res.writableFinished) abort.abort();
    };
    const outer = options.signal;
    const onLeave = () => abort.abort();
    if (outer?.aborted) return;
    outer?.addEventListener("abort", onLeave, { once: true });
    res.once("close", onClose);
    const cleanup = () => {
      res.off("close", onClose);
      outer?.removeEventListener("abort", onLeave);
    };
    const fail = (err: unknown) => {
      if (abort.signal.aborted || res.headersSent || res.destroyed) return;
      const error = toProxyError(err);
      if (error.code === ProxyErrorCode.BodyTooLarge) res.shouldKeepAlive = false;
      sendProxyError(res, error);
    };
    const max = options.maxBodyBytes ?? Number.POSITIVE_INFINITY;
    const declared = req.headers["content-length"];
    if (declared !== undefined && Number(declared) > max) {
      fail(tooLarge(max));
      cleanup();
      return;
    }
    let release: (() => void) | undefined;
    try {
      const length = declared === undefined ? undefined : Number(declared);
      const early =
        length !== undefined && length > 0 && length <= READ_FIRST_BYTES
          ? await readWhole(req, length)
          : undefined;
      if (abort.signal.aborted) return;
      release = await pools.gate(route).acquire(abort.signal);
      let upstream: Dispatcher.ResponseData;
      try {
        const body =
          early ??
          (hasBody(req)
            ? Number.isFinite(max) && declared === undefined
              ? Readable.from(limitedBody(req, max), { objectMode: false })
              : req
            : null);
        upstream = await pools.get(route).request({
          method: (req.method ?? "GET") as Dispatcher.HttpMethod,
          path: upstreamPath(req.url ?? "/", route),
          headers: upstreamRequestHeaders(req),
          body,
          signal: abort.signal,
          headersTimeout: route.timeouts.headers,
          bodyTimeout: route.timeouts.body,
        });
      } catch (err) {
        fail(err);
        return;
      }
      try {
        res.writeHead(
          upstream.statusCode,
          STATUS_CODES[upstream.statusCode] ?? "Unknown",
          clientResponseHeaders(upstream.headers),
        );
        await pipeline(upstream.body, res);
      } catch {
        // Headers are gone: the only honest signal left is an incomplete response. A reset,
        // not a close: a close-delimited body (HTTP/1.0 client) would look whole at a FIN.
        const socket = res.socket as Socket | null;
        if (socket !== null && !socket.destroyed && !abort.signal.aborted) resetSocket(socket);
        else res.destroy();
        upstream.body.destroy();
      }
    } catch (err) {
      fail(err);
    } finally {
      release?.();
      cleanup();
    }
  };
}

const sharedPools = new UpstreamPools();

/** The proxy route target, sharing one pool per upstream across all routes of the process. */
export const proxyRequest: ProxyHandler = createProxyHandler(sharedPools);

/** Closes the shared upstream pools (at shutdown, after in-flight requests finished). */
export function closeProxyPools(graceMs = 0): Promise<void> {
  return sharedPools.close(graceMs);
}
