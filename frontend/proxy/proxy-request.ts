/**
 * The proxy route target: `proxyRequest(req, res, route)` forwards one request to the route's
 * upstream and streams both bodies with backpressure (a slow reader on either side slows the
 * other instead of filling memory).
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { pipeline } from "node:stream/promises";
import type { Dispatcher } from "undici";
import type { ProxyRouteConfig } from "./config.js";
import { ProxyError, toProxyError } from "./errors.js";
import { clientResponseHeaders, upstreamRequestHeaders } from "./headers.js";
import { UpstreamPools } from "./pools.js";

export type ProxyHandler = (
  req: IncomingMessage,
  res: ServerResponse,
  route: ProxyRouteConfig,
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
 * The frontend's error shape: status, `x-ferry-error: CODE`, and a JSON body
 * `{"error":{"code","message"}}`.
 */
export function sendProxyError(res: ServerResponse, error: ProxyError): void {
  const body = Buffer.from(
    `${JSON.stringify({ error: { code: error.code, message: error.message } })}\n`,
  );
  // An unread request body would be parsed as the next request: close instead.
  if (!res.req.complete) res.shouldKeepAlive = false;
  res.writeHead(error.status, {
    "content-type": "application/json; charset=utf-8",
    "content-length": body.length,
    "x-ferry-error": error.code,
  });
  res.end(res.req.method === "HEAD" ? undefined : body);
}

export function createProxyHandler(pools: UpstreamPools): ProxyHandler {
  return async (req, res, route) => {
    const abort = new AbortController();
    // The client went away before the response ended: stop the upstream exchange too.
    const onClose = () => {
      if (!res.writableFinished) abort.abort();
    };
    res.once("close", onClose);
    let upstream: Dispatcher.ResponseData;
    try {
      upstream = await pools.get(route).request({
        method: (req.method ?? "GET") as Dispatcher.HttpMethod,
        path: upstreamPath(req.url ?? "/", route),
        headers: upstreamRequestHeaders(req),
        body: hasBody(req) ? req : null,
        signal: abort.signal,
        headersTimeout: route.timeouts.headers,
        bodyTimeout: route.timeouts.body,
      });
    } catch (err) {
      res.off("close", onClose);
      if (!abort.signal.aborted && !res.headersSent && !res.destroyed) {
        sendProxyError(res, toProxyError(err));
      }
      return;
    }
    try {
      res.writeHead(upstream.statusCode, clientResponseHeaders(upstream.headers));
      await pipeline(upstream.body, res);
    } catch {
      // Headers are gone: the only honest signal left is an incomplete response.
      res.destroy();
      upstream.body.destroy();
    } finally {
      res.off("close", onClose);
    }
  };
}

const sharedPools = new UpstreamPools();

/** The proxy route target, sharing one pool per upstream across all routes of the process. */
export const proxyRequest: ProxyHandler = createProxyHandler(sharedPools);

/** Closes the shared upstream pools (at shutdown, after in-flight requests finished). */
export function closeProxyPools(): Promise<void> {
  return sharedPools.close();
}
