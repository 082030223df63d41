/**
 * Netstrings (D. J. Bernstein): `LEN:BYTES,`. Mongrel2 frames request headers (JSON form) and
 * request bodies with them.
 */
import { ProtocolError, ProtocolErrorCode as E } from "../errors.js";
import { COMMA, readLengthPrefix, toBuffer } from "./bytes.js";

/** `LEN:BYTES,` for the bytes (strings are UTF-8). */
export function encodeNetstring(data: Uint8Array | string): Buffer {
  const payload = toBuffer(data);
  return Buffer.concat([Buffer.from(`${payload.length}:`, "latin1"), payload, Buffer.from(",")]);
}

export interface NetstringRead {
  /** The payload (a view into the input, not a copy). */
  value: Buffer;
  /** Index just past the terminating comma. */
  next: number;
}

/** Read one netstring at `offset`; bytes after it are left for the caller. */
export function readNetstring(bytes: Uint8Array, offset = 0): NetstringRead {
  const { length, start } = readLengthPrefix(bytes, offset, E.Netstring, "netstring");
  const end = start + length;
  if (end >= bytes.length) throw new ProtocolError(E.Netstring, "netstring: truncated");
  if (bytes[end] !== COMMA)
    throw new ProtocolError(E.Netstring, "netstring: not terminated by ','");
  return { value: toBuffer(bytes).subarray(start, end), next: end + 1 };
}

/** Decode bytes that are exactly one netstring. */
export function decodeNetstring(bytes: Uint8Array): Buffer {
  const { value, next } = readNetstring(bytes, 0);
  if (next !== bytes.length)
    throw new ProtocolError(E.Netstring, "netstring: bytes after the terminator");
  return value;
}
