/**
 * HTTP preconditions (RFC 9110 section 13) for one representation: ETag and Last-Modified.
 * Pure functions over header values, evaluated in the order section 13.2.2 prescribes.
 */
import type { IncomingHttpHeaders } from "node:http";

export interface Validators {
  /** A strong entity tag, quotes included: `"1f-18c2a"`. */
  etag: string;
  /** Modification time in whole seconds (HTTP dates have no finer precision). */
  lastModifiedSeconds: number;
}

/** What the preconditions allow: go on, answer 304 Not Modified, or answer 412. */
export type PreconditionOutcome = "proceed" | "not-modified" | "failed";

interface EntityTag {
  weak: boolean;
  opaque: string;
}

/** Parses `"a", W/"b"` or `*`. Returns "*" for the wildcard, or null when malformed. */
export function parseEntityTags(value: string): EntityTag[] | "*" | null {
  const text = value.trim();
  if (text === "*") return "*";
  const tags: EntityTag[] = [];
  // An opaque tag may contain commas, so split by scanning quotes, not by ",".
  const pattern = /\s*(W\/)?"([^"]*)"\s*(?:,|$)/gy;
  let match: RegExpExecArray | null;
  while (pattern.lastIndex < text.length && (match = pattern.exec(text)) !== null) {
    tags.push({ weak: match[1] !== undefined, opaque: match[2] ?? "" });
  }
  if (pattern.lastIndex !== text.length || tags.length === 0) return null;
  return tags;
}

function strongMatch(tags: EntityTag[], etag: string): boolean {
  return tags.some((t) => !t.weak && `"${t.opaque}"` === etag);
}

function weakMatch(tags: EntityTag[], etag: string): boolean {
  return tags.some((t) => `"${t.opaque}"` === etag.replace(/^W\//, ""));
}

/** Seconds since the epoch of an HTTP date, or null when it does not parse. */
export function parseHttpDate(value: string | undefined): number | null {
  if (value === undefined) return null;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? null : Math.floor(ms / 1000);
}

export function evaluatePreconditions(
  method: string,
  headers: IncomingHttpHeaders,
  v: Validators,
): PreconditionOutcome {
  const ifMatch = headers["if-match"];
  if (ifMatch !== undefined) {
    const tags = parseEntityTags(ifMatch);
    if (tags !== "*" && (tags === null || !strongMatch(tags, v.etag))) return "failed";
  } else {
    const since = parseHttpDate(headers["if-unmodified-since"]);
    if (since !== null && v.lastModifiedSeconds > since) return "failed";
  }
  const safe = method === "GET" || method === "HEAD";
  const ifNoneMatch = headers["if-none-match"];
  if (ifNoneMatch !== undefined) {
    const tags = parseEntityTags(ifNoneMatch);
    if (tags === "*" || (tags !== null && weakMatch(tags, v.etag))) {
      return safe ? "not-modified" : "failed";
    }
  } else if (safe) {
    const since = parseHttpDate(headers["if-modified-since"]);
    if (since !== null && v.lastModifiedSeconds <= since) return "not-modified";
  }
  return "proceed";
}

/**
 * If-Range (section 13.1.5): a Range applies only when the validator still matches: a strong
 * ETag compared strongly, or a date equal to Last-Modified. Absent means the Range applies.
 */
export function ifRangeAllows(headers: IncomingHttpHeaders, v: Validators): boolean {
  const raw = headers["if-range"];
  const value = Array.isArray(raw) ? raw[0] : raw;
  if (value === undefined) return true;
  const text = value.trim();
  if (text.startsWith('"') || text.startsWith("W/")) {
    const tags = parseEntityTags(text);
    return tags !== null && tags !== "*" && tags.length === 1 && strongMatch(tags, v.etag);
  }
  const date = parseHttpDate(text);
  return date !== null && date === v.lastModifiedSeconds;
}
