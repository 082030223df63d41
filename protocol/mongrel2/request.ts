/**
 * The Mongrel2 request, frontend -> handler, one ZeroMQ frame:
 *
 *     UUID SP ID SP PATH SP HEADERS BODY
 *
 * HEADERS is a netstring holding a JSON object (`LEN:{...},`) or a tnetstring dict (`LEN:...}`);
 * BODY is a netstring. Header values are strings, or arrays of strings for repeated headers.
 */
import { ProtocolError, ProtocolErrorCode as E } from "../errors.js";
import {
  COMMA,
  SPACE,
  isM2Uuid,
  parseDecimalId,
  readLengthPrefix,
  toBuffer,
  utf8Lenient,
} from "./bytes.js";
import { parseJsonEntries, stringifyJsonEntries } from "./json.js";
import { M2Limits } from "./limits.js";
import { encodeNetstring, readNetstring } from "./netstring.js";
import { encodeTnetstring, readTnetstring, type TnetValue } from "./tnetstring.js";

export type M2HeaderValue = string | string[];
/** Headers in order; a repeated header is one entry whose value is an array. */
export type M2Headers = [name: string, value: M2HeaderValue][];
export type M2HeaderFormat = "json" | "tnetstring";

export interface M2Request {
  /** The server's `send_ident`; handlers put it at the start of their replies. */
  uuid: string;
  /** Connection id (Mongrel2 has no request ids). */
  id: number;
  /** The request path, or `@*` / `@name` for JSON messages. */
  path: string;
  headers: M2Headers;
  body: Uint8Array;
}

export interface DecodedM2Request extends M2Request {
  /** How the headers were written. */
  format: M2HeaderFormat;
}

const fail = (message: string): never => {
  throw new ProtocolError(E.M2Request, `mongrel2 request: ${message}`);
};

// ---------------------------------------------------------------- encode

function checkRequest(req: M2Request): void {
  if (!isM2Uuid(req.uuid)) fail("uuid must be 1-128 of [A-Za-z0-9-]");
  if (!Number.isSafeInteger(req.id) || req.id < 0) fail("id must be a non-negative integer");
  if (req.path.length === 0 || req.path.includes(" "))
    fail("path must be non-empty, without spaces");
  if (Buffer.byteLength(req.path) > M2Limits.maxPath)
    fail(`path longer than ${M2Limits.maxPath} bytes`);
  if (req.headers.length > M2Limits.maxHeaders) fail(`more than ${M2Limits.maxHeaders} headers`);
  const seen = new Set<string>();
  for (const [name, value] of req.headers) {
    if (seen.has(name))
      fail(`header ${JSON.stringify(name)} twice: give repeated headers as one array`);
    seen.add(name);
    const ok =
      typeof value === "string" ||
      (Array.isArray(value) && value.length > 0 && value.every((v) => typeof v === "string"));
    if (!ok) fail(`header ${JSON.stringify(name)} is not a string or a non-empty array of strings`);
  }
}

/** The header block alone: a JSON netstring or a tnetstring dict. */
export function encodeM2Headers(headers: M2Headers, format: M2HeaderFormat): Buffer {
  if (format === "json") return encodeNetstring(stringifyJsonEntries(headers));
  return encodeTnetstring(new Map(headers));
}

/** Encode a request as Mongrel2 1.12 would (JSON headers fully escaped, unlike Mongrel2). */
export function encodeM2Request(req: M2Request, format: M2HeaderFormat = "json"): Buffer {
  checkRequest(req);
  return Buffer.concat([
    Buffer.from(`${req.uuid} ${req.id} ${req.path} `, "utf8"),
    encodeM2Headers(req.headers, format),
    encodeNetstring(req.body),
  ]);
}

// ---------------------------------------------------------------- decode

function word(bytes: Buffer, offset: number, what: string): { text: string; next: number } {
  const end = bytes.indexOf(SPACE, offset);
  if (end < 0) fail(`truncated before the space after ${what}`);
  if (end === offset) fail(`empty ${what}`);
  return { text: utf8Lenient(bytes.subarray(offset, end)), next: end + 1 };
}

function headerValue(name: string, value: unknown): M2HeaderValue {
  if (typeof value === "string") return value;
  if (value instanceof Uint8Array) return utf8Lenient(value);
  if (Array.isArray(value) && value.length > 0) {
    return value.map((v: unknown) => {
      if (typeof v === "string") return v;
      if (v instanceof Uint8Array) return utf8Lenient(v);
      return fail(`header ${JSON.stringify(name)}: array item is not a string`);
    });
  }
  return fail(`header ${JSON.stringify(name)} is not a string or a non-empty array of strings`);
}

function decodeHeaders(
  bytes: Buffer,
  offset: number,
): { headers: M2Headers; format: M2HeaderFormat; next: number } {
  // Peek at the terminator: ',' = JSON in a netstring, '}' = a tnetstring dict.
  const { length, start } = readLengthPrefix(
    bytes,
    offset,
    E.M2Request,
    "mongrel2 request headers",
  );
  const end = start + length;
  if (end >= bytes.length) fail("truncated headers");
  if (bytes[end] === COMMA) {
    const { value, next } = readNetstring(bytes, offset);
    const entries = parseJsonEntries(value);
    const seen = new Set<string>();
    const headers: M2Headers = entries.map(([name, v]) => {
      if (seen.has(name)) fail(`header ${JSON.stringify(name)} twice`);
      seen.add(name);
      return [name, headerValue(name, v)];
    });
    return { headers, format: "json", next };
  }
  if (bytes[end] !== 0x7d) fail("headers are neither a JSON netstring nor a tnetstring dict");
  const { value, next } = readTnetstring(bytes, offset);
  const dict = value as Map<string, TnetValue>;
  const headers: M2Headers = [...dict.entries()].map(([name, v]) => [name, headerValue(name, v)]);
  return { headers, format: "tnetstring", next };
}

/** Decode one request frame. Throws ProtocolError (ERR_M2_REQUEST, ERR_JSON, ERR_TNETSTRING, ERR_NETSTRING). */
export function decodeM2Request(input: Uint8Array): DecodedM2Request {
  const bytes = toBuffer(input);
  const uuid = word(bytes, 0, "uuid");
  if (!isM2Uuid(uuid.text)) fail("uuid must be 1-128 of [A-Za-z0-9-]");
  const id = word(bytes, uuid.next, "id");
  const conn = parseDecimalId(id.text);
  if (conn === undefined) fail("id is not a decimal integer");
  const path = word(bytes, id.next, "path");
  if (path.next - id.next - 1 > M2Limits.maxPath)
    fail(`path longer than ${M2Limits.maxPath} bytes`);
  const { headers, format, next } = decodeHeaders(bytes, path.next);
  const body = readNetstring(bytes, next);
  if (body.next !== bytes.length) fail("bytes after the body");
  return {
    uuid: uuid.text,
    id: conn as number,
    path: path.text,
    headers,
    body: body.value,
    format,
  };
}

/** First value of a header (exact name: Mongrel2 lower-cases HTTP headers, server keys are upper-case). */
export function m2Header(headers: M2Headers, name: string): string | undefined {
  for (const [key, value] of headers) {
    if (key === name) return typeof value === "string" ? value : value[0];
  }
  return undefined;
}
