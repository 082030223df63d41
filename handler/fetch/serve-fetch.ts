/** Runs a Fetch-style app, `(request, ctx) => Response`, for each request of a connection. */
import { createContext, isDeferred, type Deferred, type HandlerContext } from "../context.js";
import type { HandlerConnection } from "../connection.js";
import type { Exchange } from "../exchange.js";
import { sendResponse } from "./send-response.js";
import { lazyRequest } from "./lazy-request.js";
import { isResponseLike } from "./response-like.js";

export type FetchResult = Response | Deferred;
export type FetchHandler = (
  request: Request,
  ctx: HandlerContext,
) => FetchResult | Promise<FetchResult>;

/**
 * The app failed (threw or rejected with anything, returned something that is not a
 * response, or its body stream failed): 500 if nothing was sent yet; else `error`, so the
 * frontend cuts the client's connection instead of ending the response as if it were whole.
 * Only this request is affected; the handler goes on serving.
 */
export function failExchange(ex: Exchange, connection: HandlerConnection, err: unknown): void {
  connection.emit("appError", err, ex);
  if (ex.finished) return;
  ex.fail("APP_ERROR", ex.headSent ? "the response body failed" : "the application failed");
}

function settle(ex: Exchange, connection: HandlerConnection, result: unknown): void {
  try {
    settleOrThrow(ex, connection, result);
  } catch (err) {
    failExchange(ex, connection, err);
  }
}

function settleOrThrow(ex: Exchange, connection: HandlerConnection, result: unknown): void {
  if (isDeferred(result)) {
    ex.defer();
    return;
  }
  if (!isResponseLike(result)) {
    const what = result === null ? "null" : typeof result;
    failExchange(
      ex,
      connection,
      new TypeError(`the app returned ${what}, neither a Response nor ctx.defer()`),
    );
    return;
  }
  sendResponse(ex, result)?.catch((err: unknown) => failExchange(ex, connection, err));
}

/** True for a promise or any thenable (reading `then` may throw: the caller catches). */
function isThenable(value: unknown): boolean {
  if (value === null || (typeof value !== "object" && typeof value !== "function")) return false;
  return typeof (value as { then?: unknown }).then === "function";
}

export function fetchListener(
  app: FetchHandler,
  connection: HandlerConnection,
): (ex: Exchange) => void {
  return (ex) => {
    // Nothing the app does may escape into the receive loop: it serves every other request.
    try {
      const result: unknown = app(lazyRequest(ex), createContext(ex, connection));
      if (!(result instanceof Promise) && !isThenable(result)) {
        settle(ex, connection, result);
        return;
      }
      Promise.resolve(result).then(
        (r) => settle(ex, connection, r),
        (err: unknown) => failExchange(ex, connection, err),
      );
    } catch (err) {
      failExchange(ex, connection, err);
    }
  };
}
