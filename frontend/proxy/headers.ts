/**
 * Header rewriting at the proxy boundary: hop-by-hop fields (RFC 9110 section 7.6.1) stop here,
 * and the upstream learns who the client was through X-Forwarded-For / -Proto / -Host.
 */
import type { IncomingHttpHeaders, IncomingMessage, OutgoingHttpHeaders } from "node:http";
import type { TLSSocket } from "node:tls";

/** Fields that describe one connection, never forwarded. `host` is re-set for the upstream. */
const HOP_BY_HOP = new Set([
  "connection",
  "keep-alive",
  "proxy-connection",
  "proxy-authenticate",
  "proxy-authorization",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
]);

/** Request fields the proxy sets itself (or, for `expect`, that Node already answered). */
const SET_BY_PROXY = new Set(["host", "expect", "x-forwarded-proto", "x-forwarded-host"]);

/** Field names listed in Connection (`Connection: close, x-private`) are hop-by-hop too. */
function connectionTokens(value: string | string[] | undefined): Set<string> {
  const tokens = new Set<string>();
  for (const v of [value ?? []].flat()) {
    for (const t of v.split(",")) if (t.trim() !== "") tokens.add(t.trim().toLowerCase());
  }
  return tokens;
}

function clientAddress(req: IncomingMessage): string {
  const address = req.socket.remoteAddress ?? "unknown";
  return address.startsWith("::ffff:") ? address.slice(7) : address;
}

/**
 * Headers for the upstream request as a flat [name, value, ...] list, so repeated fields keep
 * their order and multiplicity.
 */
export function upstreamRequestHeaders(req: IncomingMessage): string[] {
  const dropped = connectionTokens(req.headers.connection);
  const out: string[] = [];
  let forwardedFor: string | undefined;
  const raw = req.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i] as string;
    const value = raw[i + 1] as string;
    const lower = name.toLowerCase();
    if (HOP_BY_HOP.has(lower) || SET_BY_PROXY.has(lower) || dropped.has(lower)) continue;
    if (lower === "x-forwarded-for") {
      forwardedFor = forwardedFor === undefined ? value : `${forwardedFor}, ${value}`;
      continue;
    }
    out.push(name, value);
  }
  const client = clientAddress(req);
  const encrypted = (req.socket as Partial<TLSSocket>).encrypted === true;
  out.push("x-forwarded-for", forwardedFor === undefined ? client : `${forwardedFor}, ${client}`);
  out.push("x-forwarded-proto", encrypted ? "https" : "http");
  if (req.headers.host !== undefined) out.push("x-forwarded-host", req.headers.host);
  return out;
}

/** The upstream's response headers minus hop-by-hop fields, ready for `res.writeHead`. */
export function clientResponseHeaders(headers: IncomingHttpHeaders): OutgoingHttpHeaders {
  const dropped = connectionTokens(headers.connection);
  const out: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || HOP_BY_HOP.has(name) || dropped.has(name)) continue;
    out[name] = value;
  }
  return out;
}
