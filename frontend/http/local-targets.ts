/**
 * Route targets the frontend answers in-process: static directories and proxied upstreams. The
 * exchange is done when node:http finishes (or abandons) the response, like a handler's reply.
 * Each gets an AbortSignal (`ex.local`) that fires when its client leaves, whether or not its
 * response is the one at the head of the connection (node:http tells only that one): an open
 * file is closed, an upstream request aborted, however many requests were pipelined.
 */
import type { Exchange } from "../exchange.js";
import type { ProxyTarget } from "../proxy/config.js";
import { serveStatic, type StaticTarget } from "../static/index.js";

type ProxyModule = typeof import("../proxy/proxy-request.js");
/**
 * The proxy (and undici, ~20 MiB of a process) is loaded only by a frontend whose config has a
 * proxy route, before it listens: `loadProxy()`.
 */
let proxy: ProxyModule | undefined;

export async function loadProxy(): Promise<void> {
  proxy ??= await import("../proxy/proxy-request.js");
}

/** Close the upstream pools, if the proxy was ever loaded: after `graceMs`, destroy them. */
export async function closeProxy(graceMs = 0): Promise<void> {
  await proxy?.closeProxyPools(graceMs);
}

export function serveLocal(
  ex: Exchange,
  target: StaticTarget | ProxyTarget,
  prefix: string,
  expectsContinue: boolean,
  stopping: boolean,
  maxBodyBytes: number,
): void {
  const { req, res } = ex;
  const local = new AbortController();
  ex.local = local;
  res.once("close", () => {
    if (ex.done) return;
    ex.done = true;
    ex.status = res.statusCode;
    // Streamed bodies carry no running count here; the declared length is what was promised.
    ex.bytes = Number(res.getHeader("content-length") ?? 0) || 0;
    ex.aborted = !res.writableFinished;
    ex.observer.exchangeDone(ex);
  });
  if (stopping) res.shouldKeepAlive = false;
  if (expectsContinue) res.writeContinue();
  if (target.kind === "static") {
    // A static route maps the path below its own prefix unless stripPrefix says otherwise.
    const route =
      target.stripPrefix === undefined && prefix !== ""
        ? { ...target, stripPrefix: prefix }
        : target;
    const serve = (): void => void serveStatic(req, res, route, local.signal);
    // A response queued behind others on its connection (pipelining) opens and reads its file
    // only when its turn comes: what a client pipelines holds no file, no read buffer.
    if (res.socket !== null) serve();
    else {
      res.once("socket", serve);
      local.signal.addEventListener("abort", () => res.off("socket", serve), { once: true });
    }
  } else if (proxy === undefined) {
    // Unreachable when start() ran loadProxy(); answered rather than thrown if it ever is.
    res.statusCode = 502;
    res.end();
  } else {
    void proxy.proxyRequest(req, res, target, { signal: local.signal, maxBodyBytes });
  }
}
