/** Runs a Fetch-style app, `(request, ctx) => Response`, for each request of a connection. */
import { createContext, isDeferred, type Deferred, type HandlerContext } from "../context.js";
import type { HandlerConnection } from "../connection.js";
import type { Exchange } from "../exchange.js";
import { sendResponse } from "./send-response.js";
import { lazyRequest } from "./lazy-request.js";

export type FetchResult = Response | Deferred;
export type FetchHandler = (
  request: Request,
  ctx: HandlerContext,
) => FetchResult | Promise<FetchResult>;

/** The app failed: 500 if nothing was sent yet, else the connection is closed. */
export function failExchange(ex: Exchange, connection: HandlerConnection, err: unknown): void {
  connection.emit("appError", err, ex);
  if (ex.finished) return;
  if (!ex.headSent) ex.fail("APP_ERROR", "the application failed");
  else ex.close();
}

function settle(ex: Exchange, connection: HandlerConnection, result: unknown): void {
  if (isDeferred(result)) {
    ex.defer();
    return;
  }
  if (!(result instanceof Response)) {
    failExchange(
      ex,
      connection,
      new TypeError("the app returned neither a Response nor ctx.defer()"),
    );
    return;
  }
  sendResponse(ex, result).catch((err: unknown) => failExchange(ex, connection, err));
}

export function fetchListener(
  app: FetchHandler,
  connection: HandlerConnection,
): (ex: Exchange) => void {
  return (ex) => {
    let result: FetchResult | Promise<FetchResult>;
    try {
      result = app(lazyRequest(ex), createContext(ex, connection));
    } catch (err) {
      failExchange(ex, connection, err);
      return;
    }
    if (result instanceof Promise || typeof (result as { then?: unknown }).then === "function") {
      (result as Promise<FetchResult>).then(
        (r) => settle(ex, connection, r),
        (err: unknown) => failExchange(ex, connection, err),
      );
    } else {
      settle(ex, connection, result);
    }
  };
}
