/**
 * `request.url` for a Fetch-style app, built only from parts that cannot smuggle anything into
 * it: the scheme, a Host that is a well-formed `uri-host [":" port]` (else `localhost` with the
 * port the request arrived on, when the frontend says it), the path and the query. Never a
 * fragment: a client's `#...` is not part of the request (RFC 9110 §7.1).
 */
import type { RequestMsg } from "../../protocol/index.js";

/** reg-name (without percent-encoding) or an IP literal, then an optional port. */
const HOST = /^(?:[A-Za-z0-9\-._~!$&'()*+,;=]+|\[[0-9A-Fa-f:.]+\])(?::([0-9]{1,5}))?$/;

/** The local port of the request, when the frontend sends it (protocol v2 `port`). */
export function localPortOf(msg: RequestMsg): number | undefined {
  const port = (msg as RequestMsg & { port?: unknown }).port;
  return typeof port === "number" && Number.isInteger(port) && port > 0 && port < 65536
    ? port
    : undefined;
}

function validHost(host: string): boolean {
  const m = HOST.exec(host);
  return m !== null && (m[1] === undefined || Number(m[1]) <= 65535);
}

function localhost(msg: RequestMsg): string {
  const port = localPortOf(msg);
  return port === undefined ? "localhost" : `localhost:${port}`;
}

/** The path and query, with no fragment; `/` for the asterisk form (`OPTIONS *`). */
function pathAndQuery(msg: RequestMsg): string {
  let path = msg.path;
  let query = msg.query;
  const inPath = path.indexOf("#");
  if (inPath !== -1) {
    path = path.slice(0, inPath);
    query = "";
  } else {
    const inQuery = query.indexOf("#");
    if (inQuery !== -1) query = query.slice(0, inQuery);
  }
  if (!path.startsWith("/")) {
    // An absolute-form target (`GET http://h/p`) from a frontend that did not split it.
    if (!/^https?:\/\//i.test(path)) return "/";
    try {
      const url = new URL(msg.target);
      return url.pathname + url.search;
    } catch {
      return "/";
    }
  }
  return query === "" ? path : `${path}?${query}`;
}

/**
 * The authority to use: the target's for an absolute-form target the frontend did not split
 * (RFC 9112 §3.2.2: it overrides Host), else the Host header.
 */
function hostOf(msg: RequestMsg): string {
  if (msg.path.startsWith("/") || !/^https?:\/\//i.test(msg.path)) return msg.host;
  try {
    return new URL(msg.target).host;
  } catch {
    return "";
  }
}

/**
 * Origins (`scheme://host`) already judged, and the answer. A request's URL parses when its
 * origin does: what follows it always starts with `/`, and no path or query makes the URL
 * parser fail. Clients send the same few Hosts, so this spares a parse per request; the map is
 * emptied when full, so Hosts made up by a client cannot grow it.
 */
const judged = new Map<string, boolean>();
const JUDGED_MAX = 256;

/** The last origin judged: most requests repeat it, and comparing is cheaper than hashing. */
let lastScheme = "";
let lastHost = "";
let lastOk = false;

function usableOrigin(scheme: string, host: string): boolean {
  if (host === lastHost && scheme === lastScheme) return lastOk;
  const origin = `${scheme}://${host}`;
  let ok = judged.get(origin);
  if (ok === undefined) {
    // The URL parser is stricter still (an IP literal that is no address): then, no Host.
    ok = validHost(host) && URL.canParse(`${origin}/`);
    if (judged.size >= JUDGED_MAX) judged.clear();
    judged.set(origin, ok);
  }
  lastScheme = scheme;
  lastHost = host;
  lastOk = ok;
  return ok;
}

export function requestUrl(msg: RequestMsg): string {
  const rest = pathAndQuery(msg);
  const host = hostOf(msg);
  if (host !== "" && usableOrigin(msg.scheme, host)) return `${msg.scheme}://${host}${rest}`;
  return `${msg.scheme}://${localhost(msg)}${rest}`;
}
