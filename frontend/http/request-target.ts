/**
 * What the frontend checks in a parsed request before routing it, and what routing uses: the
 * protocol's hard limits (a request past them could not be encoded for a handler), Host as RFC
 * 9112 §3.2 / RFC 3986 `uri-host [":" port]`, and the request-target: origin-form, absolute-form
 * (routed by its authority, RFC 9112 §3.2.2) or `*` for OPTIONS, the `#fragment` a client should
 * not send dropped (RFC 3986 §3.5), and dot-segments refused, plain or percent-encoded, so no
 * route prefix can be stepped out of (`/v2/../admin`, `/v2/%2e%2e/admin`). Pure.
 */
import { Limits } from "../../protocol/index.js";
import type { FerryErrorCode } from "../errors.js";

export interface AcceptedTarget {
  readonly ok: true;
  /** Path and query in origin-form, without the fragment. */
  readonly url: string;
  readonly path: string;
  /** The authority requests are routed by: the absolute-form target's, else the Host field. */
  readonly host: string | undefined;
  /** True when `url` or `host` differ from what node:http parsed (absolute-form, fragment). */
  readonly rewritten: boolean;
  /** An absolute-form target as received, without its fragment. */
  readonly absolute?: string;
}

export interface RefusedTarget {
  readonly ok: false;
  readonly code: FerryErrorCode;
  readonly message: string;
}

export type TargetVerdict = AcceptedTarget | RefusedTarget;

/**
 * RFC 3986 host (IP-literal, IPv4address or reg-name with pct-encoding) and an optional port.
 * No userinfo, no path, no spaces.
 */
const URI_HOST =
  /^(?:\[(?:[0-9A-Fa-f:.]{2,45}|v[0-9A-Fa-f]+\.[A-Za-z0-9._~!$&'()*+,;=:-]+)\]|(?:[A-Za-z0-9._~!$&'()*+,;=-]|%[0-9A-Fa-f]{2})*)(?::[0-9]{0,5})?$/;

export function validHost(host: string): boolean {
  return host.length <= 1024 && URI_HOST.test(host);
}

/** Longest str field a handler can be sent, in UTF-8 bytes (node:http gives latin1 strings). */
function tooLong(s: string): boolean {
  // A latin1 character is at most 2 UTF-8 bytes: short strings need no counting.
  return s.length > Limits.maxString >> 1 && Buffer.byteLength(s, "utf8") > Limits.maxString;
}

function refuse(code: FerryErrorCode, message: string): RefusedTarget {
  return { ok: false, code, message };
}

/** Whether a path has a `.` or `..` segment, plain or percent-encoded, with `/` or `\` between. */
export function hasDotSegment(path: string): boolean {
  if (!path.includes(".") && !path.includes("%")) return false;
  const norm = path
    .toLowerCase()
    .replace(/%2e/g, ".")
    .replace(/%2f|%5c|\\/g, "/");
  for (const segment of norm.split("/")) if (segment === "." || segment === "..") return true;
  return false;
}

/**
 * Check a request's head against the protocol's limits and the frontend's rules, and say how to
 * route it. `raw` is node:http's rawHeaders, `hostField` its single Host value (or undefined).
 */
export function checkRequestHead(
  method: string,
  url: string,
  raw: readonly string[],
  hostField: string | undefined,
): TargetVerdict {
  if (raw.length > Limits.maxHeaders * 2)
    return refuse("FERRY_HEADERS_TOO_LARGE", `more than ${Limits.maxHeaders} header fields`);
  for (let i = 0; i < raw.length; i++) {
    if (tooLong(raw[i]!))
      return refuse("FERRY_HEADERS_TOO_LARGE", `a header field over ${Limits.maxString} bytes`);
  }
  if (tooLong(url)) return refuse("FERRY_TARGET_TOO_LONG", `target over ${Limits.maxString} bytes`);
  if (hostField !== undefined && !validHost(hostField))
    return refuse("FERRY_BAD_HOST", 'Host is not uri-host [":" port]');

  let rest = url;
  let host = hostField;
  let rewritten = false;
  const hash = rest.indexOf("#");
  if (hash !== -1) {
    rest = rest.slice(0, hash);
    rewritten = true;
  }
  if (rest.charCodeAt(0) !== 47 /* / */) {
    if (rest === "*") {
      if (method !== "OPTIONS") return refuse("FERRY_BAD_TARGET", "* is for OPTIONS only");
      return { ok: true, url: rest, path: rest, host, rewritten };
    }
    const absolute = /^https?:\/\/([^/?]*)(.*)$/i.exec(rest);
    if (absolute === null)
      return refuse("FERRY_BAD_TARGET", "target is not origin- or absolute-form");
    const authority = absolute[1]!;
    if (authority === "" || !validHost(authority))
      return refuse("FERRY_BAD_HOST", 'the target\'s authority is not uri-host [":" port]');
    host = authority;
    const received = rest;
    const tail = absolute[2]!;
    rest = tail.startsWith("/") ? tail : `/${tail}`;
    const q = rest.indexOf("?");
    const path = q === -1 ? rest : rest.slice(0, q);
    if (hasDotSegment(path)) return refuse("FERRY_BAD_TARGET", "dot-segment in the path");
    return { ok: true, url: rest, path, host, rewritten: true, absolute: received };
  }
  const q = rest.indexOf("?");
  const path = q === -1 ? rest : rest.slice(0, q);
  if (hasDotSegment(path)) return refuse("FERRY_BAD_TARGET", "dot-segment in the path");
  return { ok: true, url: rest, path, host, rewritten };
}
