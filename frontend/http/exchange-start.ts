/**
 * What every way in (a plain request, an Upgrade request) does first with a request: route it,
 * open its exchange on the connection, and refuse it with 503 when its group has no live
 * handler. Shared so the two intakes cannot drift apart.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Connection } from "../connections.js";
import { Exchange } from "../exchange.js";
import type { RouteMatch } from "../routes.js";
import type { IntakeContext } from "./intake.js";

/** The route for the request's Host and path (the query left out). */
export function routeOf(ctx: IntakeContext, req: IncomingMessage): RouteMatch | undefined {
  const url = req.url ?? "/";
  const q = url.indexOf("?");
  return ctx.router.match(req.headers.host, q === -1 ? url : url.slice(0, q));
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
  conn.addExchange(ex);
  return ex;
}

/** 503 at once, with Retry-After: nothing in the group could take the request. */
export function failNoHandler(ctx: IntakeContext, ex: Exchange, group: string): void {
  ctx.counters.noHandler++;
  ctx.responder.fail(ex, "FERRY_NO_HANDLER", `no live handler in group "${group}"`, [
    ["retry-after", "1"],
  ]);
}
