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

// Encoding appends to one list of chunks: text (written as UTF-8) where it can, so a dict of
// strings becomes one string and one Buffer. A container's length prefix is filled into the slot
// reserved for it once its items are written. Every function returns the bytes it appended.
type Chunks = (string | Buffer)[];

function textLeaf(out: Chunks, tag: string, text: string): number {
  const length = Buffer.byteLength(text, "utf8");
  const head = `${length}:`;
  out.push(head + text + tag);
  return head.length + length + 1;
}

function bytesLeaf(out: Chunks, bytes: Uint8Array): number {
  const head = `${bytes.length}:`;
  out.push(head, toBuffer(bytes), TnetTag.String);
  return head.length + bytes.length + 1;
}

function encodeNumber(out: Chunks, n: number): number {
  if (!Number.isFinite(n)) return fail(`cannot encode ${n}`);
  if (Number.isInteger(n)) {
    if (!Number.isSafeInteger(n)) return fail(`integer ${n} is not exact`);
    return textLeaf(out, TnetTag.Integer, String(n));
  }
  return textLeaf(out, TnetTag.Float, String(n));
}

function container(out: Chunks, tag: string, body: (out: Chunks) => number): number {
  const slot = out.length;
  out.push(""); // the length prefix, once known
  const length = body(out);
  const head = `${length}:`;
  out[slot] = head;
  out.push(tag);
  return head.length + length + 1;
}

function encodeValue(out: Chunks, value: TnetInput, depth: number): number {
  if (depth > M2Limits.maxDepth) return fail(`nested deeper than ${M2Limits.maxDepth}`);
  if (value === null) return textLeaf(out, TnetTag.Null, "");
  if (typeof value === "string") return textLeaf(out, TnetTag.String, value);
  if (value instanceof Uint8Array) return bytesLeaf(out, value);
  if (typeof value === "number") return encodeNumber(out, value);
  if (typeof value === "boolean") return textLeaf(out, TnetTag.Boolean, String(value));
  if (Array.isArray(value)) {
    return container(out, TnetTag.List, (o) => {
      let n = 0;
      for (const item of value as readonly TnetInput[]) n += encodeValue(o, item, depth + 1);
      return n;
    });
  }
  const entries = value instanceof Map ? [...value.entries()] : Object.entries(value);
  return container(out, TnetTag.Dict, (o) => {
    let n = 0;
    for (const [key, item] of entries) {
      n += textLeaf(o, TnetTag.String, key);
      n += encodeValue(o, item as TnetInput, depth + 1);
    }
    return n;
  });
}

/** Encode one value. Throws ProtocolError ERR_TNETSTRING for NaN, inexact integers, too deep. */
export function encodeTnetstring(value: TnetInput): Buffer {
  const out: Chunks = [];
  const length = encodeValue(out, value, 0);
  if (out.every((c) => typeof c === "string")) return Buffer.from(out.join(""), "utf8");
  const buffers: Buffer[] = [];
  let text = "";
  for (const c of out) {
    if (typeof c === "string") {
      text += c;
      continue;
    }
    if (text !== "") buffers.push(Buffer.from(text, "utf8"));
    buffers.push(c);
    text = "";
  }
  if (text !== "") buffers.push(Buffer.from(text, "utf8"));
  return Buffer.concat(buffers, length);
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
      if (!Number.isSafeInteger(n))
        return fail(`not an exact integer: ${JSON.stringify(text.slice(0, 40))}`);
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
    if (dict.size >= M2Limits.maxHeaders)
      return fail(`dict with more than ${M2Limits.maxHeaders} keys`);
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
