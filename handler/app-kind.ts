/**
 * Tells a Fetch-style app from a Node-style one. Objects with `.fetch` (Hono, `export default
 * { fetch }`) are Fetch apps; Koa instances are served through `.callback()`; Express and
 * Connect apps (functions with `.handle`) and plain `(req, res)` functions are Node listeners.
 * A plain function is ambiguous: one declared with fewer than two parameters is taken as Fetch;
 * mark others with fetchApp()/nodeApp() or pass `kind`.
 */
import { HandlerError } from "./errors.js";
import type { FetchHandler } from "./fetch/serve-fetch.js";
import type { NodeListener } from "./node/serve-node.js";

export type AppKind = "fetch" | "node";
export type ResolvedApp =
  { kind: "fetch"; fetch: FetchHandler } | { kind: "node"; listener: NodeListener };

const KIND = Symbol.for("ferry.appKind");

type Marked = { [KIND]?: AppKind };

/** Mark a function as a Fetch-style handler `(request, ctx) => Response`. */
export function fetchApp<F extends FetchHandler>(fn: F): F {
  (fn as Marked)[KIND] = "fetch";
  return fn;
}

/** Mark a function as a Node-style listener `(req, res) => void`. */
export function nodeApp<F extends NodeListener>(fn: F): F {
  (fn as Marked)[KIND] = "node";
  return fn;
}

export function resolveApp(app: unknown, kind?: AppKind): ResolvedApp {
  if (app !== null && typeof app === "object") {
    const obj = app as { fetch?: unknown; callback?: unknown };
    if (typeof obj.fetch === "function" && kind !== "node") {
      const fetch = obj.fetch.bind(app) as FetchHandler;
      return { kind: "fetch", fetch };
    }
    if (typeof obj.callback === "function" && kind !== "fetch") {
      return { kind: "node", listener: (obj.callback as () => NodeListener).call(app) };
    }
    throw new HandlerError(
      "ERR_APP_KIND",
      "the app is an object with neither .fetch() nor .callback()",
    );
  }
  if (typeof app !== "function") {
    throw new HandlerError(
      "ERR_APP_KIND",
      `the app is a ${app === null ? "null" : typeof app}, not a function or object`,
    );
  }
  const fn = app as ((...args: unknown[]) => unknown) &
    Marked & { handle?: unknown; fetch?: unknown };
  const detected: AppKind =
    kind ??
    fn[KIND] ??
    (typeof fn.fetch === "function"
      ? "fetch"
      : typeof fn.handle === "function" || fn.length >= 2
        ? "node"
        : "fetch");
  if (detected === "fetch") {
    const target =
      typeof fn.fetch === "function" && !fn[KIND]
        ? (fn.fetch as FetchHandler).bind(fn)
        : (fn as unknown as FetchHandler);
    return { kind: "fetch", fetch: target };
  }
  return { kind: "node", listener: fn as unknown as NodeListener };
}
