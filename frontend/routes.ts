/**
 * Host and route matching. Hosts: exact name, then `*.suffix` wildcards (longest suffix first),
 * then `*`, then the default host. Routes: longest path prefix on a segment boundary.
 */
import type { HostConfig, RouteTarget } from "./config/schema.js";

export interface RouteMatch {
  /** The matched prefix, as configured ("" for "/", so `route` + rest = path); for a pattern, its literal part. */
  readonly prefix: string;
  /** The route's pattern as configured (`/users/([0-9]+)`), for pattern routes only. */
  readonly pattern: string | undefined;
  readonly target: RouteTarget;
}

interface CompiledRoute extends RouteMatch {
  readonly regex: RegExp | undefined;
}

interface CompiledHost {
  /** Longest prefix first. */
  readonly routes: readonly CompiledRoute[];
}

function compileRoute(path: string, target: RouteTarget): CompiledRoute {
  const paren = path.indexOf("(");
  if (paren !== -1) {
    return {
      prefix: path.slice(0, paren),
      pattern: path,
      regex: new RegExp(`^(?:${path})`),
      target,
    };
  }
  const prefix = path === "/" ? "" : path.replace(/\/+$/, "");
  return { prefix, pattern: undefined, regex: undefined, target };
}

function compileHost(host: HostConfig): CompiledHost {
  const routes = host.routes
    .map((r) => compileRoute(r.path, r.target))
    // Longest literal prefix first; at equal length a pattern before a plain prefix.
    .sort((a, b) => b.prefix.length - a.prefix.length || (b.regex ? 1 : 0) - (a.regex ? 1 : 0));
  return { routes };
}

export class Router {
  private readonly exact = new Map<string, CompiledHost>();
  private readonly wildcard = new Map<string, CompiledHost>();
  private readonly any: CompiledHost | undefined;
  private readonly fallback: CompiledHost | undefined;

  constructor(hosts: readonly HostConfig[]) {
    let any: CompiledHost | undefined;
    let fallback: CompiledHost | undefined;
    for (const host of hosts) {
      const compiled = compileHost(host);
      for (const name of host.names) {
        const lower = name.toLowerCase();
        if (lower === "*") any = compiled;
        else if (lower.startsWith("*.")) this.wildcard.set(lower.slice(1), compiled);
        else this.exact.set(lower, compiled);
      }
      if (host.default) fallback = compiled;
    }
    this.any = any;
    this.fallback = fallback;
  }

  private host(hostHeader: string | undefined): CompiledHost | undefined {
    if (hostHeader) {
      let name = hostHeader.toLowerCase();
      // Strip the port; keep IPv6 literals ("[::1]:80") whole up to the bracket.
      const colon = name.lastIndexOf(":");
      if (colon > name.lastIndexOf("]")) name = name.slice(0, colon);
      if (name.endsWith(".")) name = name.slice(0, -1);
      const exact = this.exact.get(name);
      if (exact) return exact;
      if (this.wildcard.size > 0) {
        for (let dot = name.indexOf("."); dot !== -1; dot = name.indexOf(".", dot + 1)) {
          const match = this.wildcard.get(name.slice(dot));
          if (match) return match;
        }
      }
    }
    return this.any ?? this.fallback;
  }

  /** The route for a request, or undefined (404). `path` is the target before `?`. */
  match(hostHeader: string | undefined, path: string): RouteMatch | undefined {
    const host = this.host(hostHeader);
    if (!host) return undefined;
    for (const route of host.routes) {
      const p = route.prefix;
      if (route.regex !== undefined) {
        if (path.startsWith(p) && route.regex.test(path)) return route;
        continue;
      }
      if (
        p === "" ||
        path === p ||
        (path.startsWith(p) && path.charCodeAt(p.length) === 47) /* / */
      ) {
        return route;
      }
    }
    return undefined;
  }
}
