/**
 * A strict structural pass over msgpack bytes, run before msgpackr decodes them. msgpackr is fast
 * but lenient in ways other languages are not: it decodes invalid UTF-8 with replacement
 * characters, turns extension types into Dates or records, returns 0xC1 as an object, lets
 * duplicate keys overwrite each other, stringifies integer keys and allocates before it notices a
 * truncated array. This pass rejects all of that, so every v1 implementation agrees on what a
 * message means. It allocates nothing but the set of top-level keys. Throws only ProtocolError.
 */
import { isUtf8 } from "node:buffer";
import { ProtocolError, ProtocolErrorCode as E } from "./errors.js";
import { Limits } from "./limits.js";

/** What the pass learned about a top-level map. */
export interface MapShape {
  /** Top-level keys whose value holds a float somewhere (v1 has no float fields). */
  readonly floatKeys: ReadonlySet<string>;
}

const keyDecoder = new TextDecoder("utf-8");
const NO_FLOATS: ReadonlySet<string> = new Set();

class Walker {
  sawFloat = false;
  /** Positions of int64 tokens (0xd3), collected only when asked for (see uint64Positions). */
  int64At: number[] | undefined;
  private readonly view: DataView;

  constructor(readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  private need(pos: number, n: number): void {
    if (pos + n > this.bytes.length) throw new ProtocolError(E.Decode, "truncated msgpack");
  }

  private len(pos: number, size: 1 | 2 | 4): number {
    this.need(pos, size);
    if (size === 1) return this.bytes[pos]!;
    return size === 2 ? this.view.getUint16(pos) : this.view.getUint32(pos);
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

  /** Reads a map key (str only) and returns [its end, the key]. */
  key(pos: number): [number, string] {
    this.need(pos, 1);
    const b = this.bytes[pos]!;
    let start: number;
    let n: number;
    if (b >= 0xa0 && b <= 0xbf) [start, n] = [pos + 1, b & 0x1f];
    else if (b === 0xd9) [start, n] = [pos + 2, this.len(pos + 1, 1)];
    else if (b === 0xda) [start, n] = [pos + 3, this.len(pos + 1, 2)];
    else if (b === 0xdb) [start, n] = [pos + 5, this.len(pos + 1, 4)];
    else throw new ProtocolError(E.Decode, "map keys must be msgpack str");
    const end = this.str(start, n);
    return [end, keyDecoder.decode(this.bytes.subarray(start, end))];
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
        // 0xc7-0xc9, 0xd4-0xd8: extension types (timestamps included) are not part of v1.
        throw new ProtocolError(E.Decode, `msgpack extension types are not used (0x${b.toString(16)})`);
    }
  }

  private skip(pos: number, n: number): number {
    this.need(pos, n);
    return pos + n;
  }

  private map(pos: number, n: number, depth: number): number {
    if (n > (this.bytes.length - pos) / 2) throw new ProtocolError(E.Decode, "truncated msgpack");
    for (let i = 0; i < n; i++) {
      pos = this.key(pos)[0];
      pos = this.value(pos, depth);
    }
    return pos;
  }
}

function mapHeader(bytes: Uint8Array): [start: number, count: number] | undefined {
  const b = bytes[0];
  if (b === undefined) throw new ProtocolError(E.Decode, "empty payload");
  if (b >= 0x80 && b <= 0x8f) return [1, b & 0x0f];
  if (b === 0xde || b === 0xdf) {
    const size = b === 0xde ? 2 : 4;
    if (bytes.length < 1 + size) throw new ProtocolError(E.Decode, "truncated msgpack");
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const n = size === 2 ? view.getUint16(1) : view.getUint32(1);
    if (n > (bytes.length - 1 - size) / 2) throw new ProtocolError(E.Decode, "truncated msgpack");
    return [1 + size, n];
  }
  return undefined;
}

/**
 * Validates one whole message payload: exactly one well-formed msgpack value, a map with unique
 * str keys. Throws ERR_DECODE, ERR_TRAILING_BYTES, ERR_NOT_MAP or ERR_LIMIT.
 */
export function checkMessageBytes(bytes: Uint8Array): MapShape {
  const w = new Walker(bytes);
  const header = mapHeader(bytes);
  if (!header) {
    const end = w.value(0, 0);
    if (end !== bytes.length) throw new ProtocolError(E.TrailingBytes, "bytes after the message");
    throw new ProtocolError(E.NotMap, "message is not a map");
  }
  let [pos, n] = header;
  const keys = new Set<string>();
  let floatKeys: Set<string> | undefined;
  for (; n > 0; n--) {
    const [after, key] = w.key(pos);
    if (keys.has(key)) throw new ProtocolError(E.Decode, `duplicate key ${key.slice(0, 64)}`);
    keys.add(key);
    w.sawFloat = false;
    pos = w.value(after, 1);
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
