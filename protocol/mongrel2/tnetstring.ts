/**
 * Typed netstrings (tnetstrings.info): `LEN:DATA` + a type tag. Mongrel2 uses them for request
 * headers (`protocol='tnetstring'` handlers) and for extended `X` replies.
 *
 * Tags: `,` bytes, `#` integer, `^` float, `!` boolean, `~` null, `}` dict, `]` list.
 * Decoded: bytes -> Uint8Array, integer/float -> number, dict -> Map (order kept).
 */
import { ProtocolError, ProtocolErrorCode as E } from "../errors.js";
import { readLengthPrefix, toBuffer, utf8Strict } from "./bytes.js";
import { M2Limits } from "./limits.js";

export type TnetValue = Uint8Array | number | boolean | null | TnetValue[] | TnetDict;
export type TnetDict = Map<string, TnetValue>;
/** What the encoder takes: also JS strings (as UTF-8 bytes) and plain objects (as dicts). */
export type TnetInput =
  | TnetValue
  | string
  | readonly TnetInput[]
  | ReadonlyMap<string, TnetInput>
  | { readonly [key: string]: TnetInput };

export const TnetTag = {
  String: ",",
  Integer: "#",
  Float: "^",
  Boolean: "!",
  Null: "~",
  Dict: "}",
  List: "]",
} as const;

const fail = (message: string): never => {
  throw new ProtocolError(E.Tnetstring, `tnetstring: ${message}`);
};

// ---------------------------------------------------------------- encode

function frame(tag: string, payload: Buffer): Buffer {
  return Buffer.concat([Buffer.from(`${payload.length}:`, "latin1"), payload, Buffer.from(tag, "latin1")]);
}

function encodeNumber(n: number): Buffer {
  if (!Number.isFinite(n)) return fail(`cannot encode ${n}`);
  if (Number.isInteger(n)) {
    if (!Number.isSafeInteger(n)) return fail(`integer ${n} is not exact`);
    return frame(TnetTag.Integer, Buffer.from(String(n), "latin1"));
  }
  return frame(TnetTag.Float, Buffer.from(String(n), "latin1"));
}

function encodeValue(value: TnetInput, depth: number): Buffer {
  if (depth > M2Limits.maxDepth) return fail(`nested deeper than ${M2Limits.maxDepth}`);
  if (value === null) return frame(TnetTag.Null, Buffer.alloc(0));
  if (typeof value === "string") return frame(TnetTag.String, Buffer.from(value, "utf8"));
  if (value instanceof Uint8Array) return frame(TnetTag.String, toBuffer(value));
  if (typeof value === "number") return encodeNumber(value);
  if (typeof value === "boolean") return frame(TnetTag.Boolean, Buffer.from(String(value), "latin1"));
  if (Array.isArray(value)) {
    const items = (value as readonly TnetInput[]).map((item) => encodeValue(item, depth + 1));
    return frame(TnetTag.List, Buffer.concat(items));
  }
  const entries = value instanceof Map ? [...value.entries()] : Object.entries(value);
  const parts: Buffer[] = [];
  for (const [key, item] of entries) {
    parts.push(frame(TnetTag.String, Buffer.from(key, "utf8")), encodeValue(item as TnetInput, depth + 1));
  }
  return frame(TnetTag.Dict, Buffer.concat(parts));
}

/** Encode one value. Throws ProtocolError ERR_TNETSTRING for NaN, inexact integers, too deep. */
export function encodeTnetstring(value: TnetInput): Buffer {
  return encodeValue(value, 0);
}

// ---------------------------------------------------------------- decode

export interface TnetRead {
  value: TnetValue;
  /** Index just past the type tag. */
  next: number;
}

const INTEGER = /^-?[0-9]{1,20}$/;
const FLOAT = /^-?[0-9]{1,400}(\.[0-9]{1,400})?([eE][-+]?[0-9]{1,4})?$/;

function decodePayload(tag: number, bytes: Buffer, depth: number): TnetValue {
  switch (tag) {
    case 0x2c: // ,
      return bytes;
    case 0x23: {
      // #
      const text = bytes.toString("latin1");
      const n = INTEGER.test(text) ? Number(text) : NaN;
      if (!Number.isSafeInteger(n)) return fail(`not an exact integer: ${JSON.stringify(text.slice(0, 40))}`);
      return n === 0 ? 0 : n; // no -0
    }
    case 0x5e: {
      // ^
      const text = bytes.toString("latin1");
      const n = FLOAT.test(text) ? Number(text) : NaN;
      if (!Number.isFinite(n)) return fail(`not a float: ${JSON.stringify(text.slice(0, 40))}`);
      return n;
    }
    case 0x21: {
      // !
      const text = bytes.toString("latin1");
      if (text === "true") return true;
      if (text === "false") return false;
      return fail("boolean is neither true nor false");
    }
    case 0x7e: // ~
      if (bytes.length !== 0) return fail("null with a payload");
      return null;
    case 0x5d: // ]
      return decodeList(bytes, depth + 1);
    case 0x7d: // }
      return decodeDict(bytes, depth + 1);
    default:
      return fail(`unknown type tag 0x${tag.toString(16).padStart(2, "0")}`);
  }
}

function decodeList(bytes: Buffer, depth: number): TnetValue[] {
  if (depth > M2Limits.maxDepth) return fail(`nested deeper than ${M2Limits.maxDepth}`);
  const items: TnetValue[] = [];
  let offset = 0;
  while (offset < bytes.length) {
    const { value, next } = readAt(bytes, offset, depth);
    items.push(value);
    offset = next;
  }
  return items;
}

function decodeDict(bytes: Buffer, depth: number): TnetDict {
  if (depth > M2Limits.maxDepth) return fail(`nested deeper than ${M2Limits.maxDepth}`);
  const dict: TnetDict = new Map();
  let offset = 0;
  while (offset < bytes.length) {
    const key = readAt(bytes, offset, depth);
    if (!(key.value instanceof Uint8Array)) return fail("dict key is not a string");
    const name = utf8Strict(key.value);
    if (name === undefined) return fail("dict key is not UTF-8");
    if (key.next >= bytes.length) return fail(`dict key ${JSON.stringify(name)} has no value`);
    if (dict.has(name)) return fail(`duplicate dict key ${JSON.stringify(name)}`);
    if (dict.size >= M2Limits.maxHeaders) return fail(`dict with more than ${M2Limits.maxHeaders} keys`);
    const item = readAt(bytes, key.next, depth);
    dict.set(name, item.value);
    offset = item.next;
  }
  return dict;
}

function readAt(bytes: Buffer, offset: number, depth: number): TnetRead {
  const { length, start } = readLengthPrefix(bytes, offset, E.Tnetstring, "tnetstring");
  const end = start + length;
  if (end >= bytes.length) return fail("truncated");
  const tag = bytes[end] as number;
  return { value: decodePayload(tag, bytes.subarray(start, end), depth), next: end + 1 };
}

/** Read one tnetstring at `offset`; bytes after it are left for the caller. */
export function readTnetstring(bytes: Uint8Array, offset = 0): TnetRead {
  return readAt(toBuffer(bytes), offset, 0);
}

/** Decode bytes that are exactly one tnetstring. */
export function decodeTnetstring(bytes: Uint8Array): TnetValue {
  const { value, next } = readTnetstring(bytes, 0);
  if (next !== bytes.length) return fail("bytes after the value");
  return value;
}

/** A tnetstring byte-string as text (UTF-8; invalid sequences become U+FFFD). */
export function tnetText(value: TnetValue | undefined): string | undefined {
  return value instanceof Uint8Array ? toBuffer(value).toString("utf8") : undefined;
}
