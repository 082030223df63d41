/**
 * A strict structural pass over msgpack bytes, run before msgpackr decodes them. msgpackr is fast
 * but lenient in ways other languages are not: it decodes invalid UTF-8 with replacement
 * characters, turns extension types into Dates or records, returns 0xC1 as an object, lets
 * duplicate keys overwrite each other, stringifies integer keys and allocates before it notices a
 * truncated array. This pass rejects all of that, so every implementation agrees on what a
 * message means. It allocates nothing but the set of top-level keys. Throws only ProtocolError.
 */
import { isUtf8 } from "node:buffer";
import { ProtocolError, ProtocolErrorCode as E } from "./errors.js";
import { Limits } from "./limits.js";

/** What the pass learned about a top-level map. */
export interface MapShape {
  /** Top-level keys whose value holds a float somewhere (no field of the protocol is a float). */
  readonly floatKeys: ReadonlySet<string>;
}

const keyDecoder = new TextDecoder("utf-8");
const NO_FLOATS: ReadonlySet<string> = new Set();

class Walker {
  sawFloat = false;
  /** Positions of int64 tokens (0xd3), collected only when asked for (see uint64Positions). */
  int64At: number[] | undefined;
  /** The text of the key `key()` read last (returning it would allocate a tuple per key). */
  lastKey = "";

  constructor(readonly bytes: Uint8Array) {}

  private need(pos: number, n: number): void {
    if (pos + n > this.bytes.length) throw new ProtocolError(E.Decode, "truncated msgpack");
  }

  /** A big-endian length of `size` bytes at `pos`. */
  count(pos: number, size: 1 | 2 | 4): number {
    return this.len(pos, size);
  }

  private len(pos: number, size: 1 | 2 | 4): number {
    this.need(pos, size);
    const b = this.bytes;
    if (size === 1) return b[pos]!;
    if (size === 2) return (b[pos]! << 8) | b[pos + 1]!;
    return b[pos]! * 0x1000000 + ((b[pos + 1]! << 16) | (b[pos + 2]! << 8) | b[pos + 3]!);
  }

  private str(pos: number, n: number): number {
    this.need(pos, n);
    const end = pos + n;
    for (let i = pos; i < end; i++) {
      if (this.bytes[i]! >= 0x80) {
        if (!isUtf8(this.bytes.subarray(pos, end))) {
          throw new ProtocolError(E.Decode, "str is not valid UTF-8");
        }
        break;
      }
    }
    return end;
  }

  private items(pos: number, n: number, depth: number): number {
    // Every item takes at least one byte: refuse impossible counts before looping over them.
    if (n > this.bytes.length - pos) throw new ProtocolError(E.Decode, "truncated msgpack");
    for (let i = 0; i < n; i++) pos = this.value(pos, depth);
    return pos;
  }

  /** Reads a map key (str only) into `lastKey` when `keep`; returns the position after it. */
  key(pos: number, keep: boolean): number {
    this.need(pos, 1);
    const b = this.bytes[pos]!;
    let start: number;
    if (b >= 0xa0 && b <= 0xbf) start = pos + 1;
    else if (b === 0xd9) start = pos + 2;
    else if (b === 0xda) start = pos + 3;
    else if (b === 0xdb) start = pos + 5;
    else throw new ProtocolError(E.Decode, "map keys must be msgpack str");
    const n = b <= 0xbf ? b & 0x1f : this.len(pos + 1, b === 0xd9 ? 1 : b === 0xda ? 2 : 4);
    const end = this.str(start, n);
    if (keep) this.lastKey = this.keyText(start, end);
    return end;
  }

  /** Keys are short and ASCII in practice; TextDecoder costs a native call per key. */
  private keyText(start: number, end: number): string {
    if (end - start > 24) return keyDecoder.decode(this.bytes.subarray(start, end));
    let s = "";
    for (let i = start; i < end; i++) {
      const c = this.bytes[i]!;
      if (c >= 0x80) return keyDecoder.decode(this.bytes.subarray(start, end));
      s += String.fromCharCode(c);
    }
    return s;
  }

  /** Skips one value starting at `pos`, validating it; returns the position after it. */
  value(pos: number, depth: number): number {
    this.need(pos, 1);
    const b = this.bytes[pos]!;
    if (b <= 0x7f || b >= 0xe0 || b === 0xc0 || b === 0xc2 || b === 0xc3) return pos + 1;
    if (b >= 0xa0 && b <= 0xbf) return this.str(pos + 1, b & 0x1f);
    if (depth >= Limits.maxDepth) {
      if ((b >= 0x80 && b <= 0x9f) || (b >= 0xdc && b <= 0xdf)) {
        throw new ProtocolError(E.Limit, `nested deeper than ${Limits.maxDepth}`);
      }
    }
    if (b >= 0x90 && b <= 0x9f) return this.items(pos + 1, b & 0x0f, depth + 1);
    if (b >= 0x80 && b <= 0x8f) return this.map(pos + 1, b & 0x0f, depth + 1);
    switch (b) {
      case 0xc4:
        return this.skip(pos + 2, this.len(pos + 1, 1));
      case 0xc5:
        return this.skip(pos + 3, this.len(pos + 1, 2));
      case 0xc6:
        return this.skip(pos + 5, this.len(pos + 1, 4));
      case 0xca:
        this.sawFloat = true;
        return this.skip(pos + 1, 4);
      case 0xcb:
        this.sawFloat = true;
        return this.skip(pos + 1, 8);
      case 0xcc:
      case 0xd0:
        return this.skip(pos + 1, 1);
      case 0xcd:
      case 0xd1:
        return this.skip(pos + 1, 2);
      case 0xce:
      case 0xd2:
        return this.skip(pos + 1, 4);
      case 0xcf:
        return this.skip(pos + 1, 8);
      case 0xd3:
        this.int64At?.push(pos);
        return this.skip(pos + 1, 8);
      case 0xd9:
        return this.str(pos + 2, this.len(pos + 1, 1));
      case 0xda:
        return this.str(pos + 3, this.len(pos + 1, 2));
      case 0xdb:
        return this.str(pos + 5, this.len(pos + 1, 4));
      case 0xdc:
        return this.items(pos + 3, this.len(pos + 1, 2), depth + 1);
      case 0xdd:
        return this.items(pos + 5, this.len(pos + 1, 4), depth + 1);
      case 0xde:
        return this.map(pos + 3, this.len(pos + 1, 2), depth + 1);
      case 0xdf:
        return this.map(pos + 5, this.len(pos + 1, 4), depth + 1);
      case 0xc1:
        throw new ProtocolError(E.Decode, "0xc1 is never used in msgpack");
      default:
        // 0xc7-0xc9, 0xd4-0xd8: extension types (timestamps included) are not part of the protocol.
        throw new ProtocolError(
          E.Decode,
          `msgpack extension types are not used (0x${b.toString(16)})`,
        );
    }
  }

  private skip(pos: number, n: number): number {
    this.need(pos, n);
    return pos + n;
  }

  private map(pos: number, n: number, depth: number): number {
    if (n > (this.bytes.length - pos) / 2) throw new ProtocolError(E.Decode, "truncated msgpack");
    for (let i = 0; i < n; i++) {
      pos = this.key(pos, false);
      pos = this.value(pos, depth);
    }
    return pos;
  }
}

/** Position of the first key of a top-level map, or -1 when the value is not a map. */
function firstKeyAt(w: Walker): number {
  const b = w.bytes[0];
  if (b === undefined) throw new ProtocolError(E.Decode, "empty payload");
  if (b >= 0x80 && b <= 0x8f) return 1;
  if (b === 0xde) return 3;
  if (b === 0xdf) return 5;
  return -1;
}

function mapCount(w: Walker): number {
  const b = w.bytes[0]!;
  if (b <= 0x8f) return b & 0x0f;
  const n = w.count(1, b === 0xde ? 2 : 4);
  if (n > (w.bytes.length - 1) / 2) throw new ProtocolError(E.Decode, "truncated msgpack");
  return n;
}

/** Duplicate detection without a Set for the usual handful of keys. */
class KeySet {
  private list: string[] = [];
  private set: Set<string> | undefined;
  addUnique(key: string): boolean {
    if (this.set) return this.set.size !== this.set.add(key).size;
    if (this.list.includes(key)) return false;
    this.list.push(key);
    if (this.list.length > 32) this.set = new Set(this.list);
    return true;
  }
}

/**
 * Validates one whole message payload: exactly one well-formed msgpack value, a map with unique
 * str keys. Throws ERR_DECODE, ERR_TRAILING_BYTES, ERR_NOT_MAP or ERR_LIMIT.
 */
export function checkMessageBytes(bytes: Uint8Array): MapShape {
  const w = new Walker(bytes);
  let pos = firstKeyAt(w);
  if (pos < 0) {
    const end = w.value(0, 0);
    if (end !== bytes.length) throw new ProtocolError(E.TrailingBytes, "bytes after the message");
    throw new ProtocolError(E.NotMap, "message is not a map");
  }
  const keys = new KeySet();
  let floatKeys: Set<string> | undefined;
  for (let n = mapCount(w); n > 0; n--) {
    pos = w.key(pos, true);
    const key = w.lastKey;
    if (!keys.addUnique(key))
      throw new ProtocolError(E.Decode, `duplicate key ${key.slice(0, 64)}`);
    w.sawFloat = false;
    pos = w.value(pos, 1);
    if (w.sawFloat) (floatKeys ??= new Set()).add(key);
  }
  if (pos !== bytes.length) throw new ProtocolError(E.TrailingBytes, "bytes after the message");
  return { floatKeys: floatKeys ?? NO_FLOATS };
}

/**
 * Rewrites every non-negative int64 (0xd3) of a message msgpackr encoded into uint64 (0xcf), the
 * smallest encoding other msgpack libraries write for integers past 2^32. Same 8 payload bytes.
 */
export function int64ToUint64(bytes: Uint8Array): void {
  const w = new Walker(bytes);
  w.int64At = [];
  w.value(0, 0);
  for (const at of w.int64At) {
    if (bytes[at + 1]! < 0x80) bytes[at] = 0xcf;
  }
}
