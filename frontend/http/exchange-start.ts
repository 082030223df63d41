/**
 * What every way in (a plain request, an Upgrade request) does first with a request: refuse it
 * past the connection's pipelining depth, check its head against the protocol's limits and the
 * Host/target rules (request-target.ts), route it by the target's authority and path, open its
 * exchange on the connection, and refuse it with 503 when its group has no live handler. Shared
 * so the two intakes cannot drift apart.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Connection } from "../connections.js";
import { Exchange } from "../exchange.js";
import type { RouteMatch } from "../routes.js";
import type { IntakeContext } from "./intake.js";
import { checkRequestHead } from "./request-target.js";

const EXCHANGE = Symbol("ferry.exchange");
type TaggedRequest = IncomingMessage & { [EXCHANGE]?: Exchange };

/** The exchange opened for a request, if any. */
export function exchangeOf(req: IncomingMessage): Exchange | undefined {
  return (req as TaggedRequest)[EXCHANGE];
}

/** A new exchange for `req`, registered on its connection. */
export function openExchange(
  ctx: IntakeContext,
  conn: Connection,
  req: IncomingMessage,
  res: ServerResponse,
  route: RouteMatch | undefined,
): Exchange {
  const ex = new Exchange(
    ctx.nextRequestId(),
    conn,
    req,
    res,
    performance.now(),
    route,
    ctx.observer,
  );
  (req as TaggedRequest)[EXCHANGE] = ex;
  conn.addExchange(ex);
  return ex;
}

/**
 * Open the exchange for a request that passed every check (its `route` undefined when nothing
 * matches: the caller answers 404), or answer the request and return undefined.
 */
export function startExchange(
  ctx: IntakeContext,
  conn: Connection,
  req: IncomingMessage,
  res: ServerResponse,
): Exchange | undefined {
  const depth = ctx.limits.pipelineDepth;
  if (conn.refused >= 0) {
    // Already refused: what node:http had read before the pause goes unanswered (the connection
    // closes after the refusal); a client that somehow keeps sending is cut off.
    ctx.counters.pipelineRefused++;
    if (++conn.refused > depth * 4) conn.socket.destroy();
    return undefined;
  }
  if (conn.exchanges.size >= depth) {
    ctx.counters.pipelineRefused++;
    conn.refused = 0;
    conn.socket.pause();
    const ex = openExchange(ctx, conn, req, res, undefined);
    res.shouldKeepAlive = false;
    ctx.responder.fail(
      ex,
      "FERRY_PIPELINE_DEPTH",
      `more than ${depth} requests pipelined on one connection`,
      [["retry-after", "1"]],
    );
    return undefined;
  }
  if (req.httpVersionMajor !== 1 || hostCount(req.rawHeaders) > 1) {
    // HTTP/0.9-style lines parse, but Ferry speaks 1.x only; two Hosts make routing ambiguous.
    const ex = openExchange(ctx, conn, req, res, undefined);
    ctx.counters.malformedRequests++;
    res.shouldKeepAlive = false;
    ctx.responder.fail(
      ex,
      "FERRY_BAD_REQUEST",
      "unsupported HTTP version or more than one Host header",
    );
    return undefined;
  }
  const verdict = checkRequestHead(
    req.method ?? "GET",
    req.url ?? "/",
    req.rawHeaders,
    req.headers.host,
  );
  if (!verdict.ok) {
    const ex = openExchange(ctx, conn, req, res, undefined);
    ctx.counters.malformedRequests++;
    ctx.responder.fail(ex, verdict.code, verdict.message);
    return undefined;
  }
  if (verdict.rewritten) {
    // Everything downstream (handlers, static, proxy) sees the target without its fragment, in
    // origin-form, and the authority it was routed by.
    req.url = verdict.url;
    if (verdict.host !== undefined) req.headers.host = verdict.host;
  }
  const route = ctx.router.match(verdict.host, verdict.path);
  const ex = openExchange(ctx, conn, req, res, route);
  ex.absoluteTarget = verdict.absolute;
  return ex;
}

/** 503 at once, with Retry-After: nothing in the group could take the request. */
export function failNoHandler(ctx: IntakeContext, ex: Exchange, group: string): void {
  ctx.counters.noHandler++;
  ctx.responder.fail(ex, "FERRY_NO_HANDLER", `no live handler in group "${group}"`, [
    ["retry-after", "1"],
  ]);
}

/**
 * A defect while handling one request: counted and reported (the process logs it with its
 * stack), the exchange answered 500 FERRY_INTERNAL (or cut, if its response began) and released
 * by its group, so nothing escapes to the event loop and every other exchange goes on.
 */
export function failInternal(
  ctx: IntakeContext,
  req: IncomingMessage,
  res: ServerResponse,
  err: unknown,
  where: string,
): void {
  ctx.internalError(err, where);
  try {
    let ex = exchangeOf(req);
    if (ex === undefined) {
      const conn = ctx.connections.of(req.socket);
      if (conn === undefined) {
        res.destroy();
        return;
      }
      ex = openExchange(ctx, conn, req, res, undefined);
    }
    if (ex.done) return;
    ex.local?.abort();
    ex.group?.drop(ex, "internal");
    res.shouldKeepAlive = false;
    if (ex.local !== undefined && res.headersSent) ex.headSent = true;
    ctx.responder.fail(ex, "FERRY_INTERNAL");
  } catch (again) {
    ctx.internalError(again, `${where} (answering)`);
    req.socket.destroy();
  }
}

function hostCount(raw: readonly string[]): number {
  let n = 0;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    if (name.length === 4 && name.toLowerCase() === "host") n++;
  }
  return n;
}
