/**
 * A strict msgpack reader over one payload, with two kinds of reads:
 *
 * - `value` (skip and validate, msgpack-walker.ts, shared with the reference check) and `any`
 *   (validate and build a JS value) throw the same structural errors (ERR_DECODE, ERR_LIMIT) at
 *   the same byte: invalid UTF-8, extension types, 0xc1, non-str keys, truncation, depth, counts.
 * - Typed reads (`str`, `uint`, `bin`, `headers`, ...) take the happy path of one field type and
 *   return FAIL on anything else without throwing; the caller then rewinds and uses `any`, which
 *   throws what is structurally wrong or yields the value to explain (fields.ts) what is not.
 *
 * Integers past 2^53 read as inexact numbers >= 2^53, which no field accepts. `bin` values are
 * views of the received bytes (no copy). Throws only ProtocolError.
 */
import { isUtf8 } from "node:buffer";
import { Limits } from "./limits.js";
import { MsgpackWalker } from "./msgpack-walker.js";

/** Returned by a typed read that did not find what it expected. */
export const FAIL: unique symbol = Symbol("FAIL");
export type Fail = typeof FAIL;

const TWO_32 = 0x1_0000_0000;
/** Largest high word of a safe integer: 2^53 - 1 = 0x1fffff_ffffffff. */
const SAFE_HIGH = 0x1f_ffff;
const utf8 = new TextDecoder("utf-8");

/** Node's native slicers behind Buffer#toString, without its argument handling (not in @types/node). */
type SlicingBuffer = Buffer & {
  latin1Slice(start: number, end: number): string;
  utf8Slice(start: number, end: number): string;
};

/** What `any` returns for a msgpack map: no field is a map, so its entries are not kept. */
const MAP_VALUE: object = Object.freeze({});

const fromCharCode = String.fromCharCode;

/**
 * `n` < 16 ASCII bytes as a string, in one call with the bytes as arguments: for short strings
 * (most header names and values, methods, ids) this beats both a native slice, which costs a
 * call into C++, and appending one character at a time, which builds a rope.
 */
function shortAscii(b: Uint8Array, p: number, n: number): string {
  if (n < 4) {
    if (n === 0) return "";
    if (n === 1) return fromCharCode(b[p]!);
    if (n === 2) return fromCharCode(b[p]!, b[p + 1]!);
    return fromCharCode(b[p]!, b[p + 1]!, b[p + 2]!);
  }
  const c0 = b[p]!;
  const c1 = b[p + 1]!;
  const c2 = b[p + 2]!;
  const c3 = b[p + 3]!;
  if (n < 8) {
    if (n === 4) return fromCharCode(c0, c1, c2, c3);
    if (n === 5) return fromCharCode(c0, c1, c2, c3, b[p + 4]!);
    if (n === 6) return fromCharCode(c0, c1, c2, c3, b[p + 4]!, b[p + 5]!);
    return fromCharCode(c0, c1, c2, c3, b[p + 4]!, b[p + 5]!, b[p + 6]!);
  }
  const c4 = b[p + 4]!;
  const c5 = b[p + 5]!;
  const c6 = b[p + 6]!;
  const c7 = b[p + 7]!;
  if (n < 12) {
    if (n === 8) return fromCharCode(c0, c1, c2, c3, c4, c5, c6, c7);
    if (n === 9) return fromCharCode(c0, c1, c2, c3, c4, c5, c6, c7, b[p + 8]!);
    if (n === 10) return fromCharCode(c0, c1, c2, c3, c4, c5, c6, c7, b[p + 8]!, b[p + 9]!);
    return fromCharCode(c0, c1, c2, c3, c4, c5, c6, c7, b[p + 8]!, b[p + 9]!, b[p + 10]!);
  }
  const c8 = b[p + 8]!;
  const c9 = b[p + 9]!;
  const c10 = b[p + 10]!;
  const c11 = b[p + 11]!;
  if (n === 12) return fromCharCode(c0, c1, c2, c3, c4, c5, c6, c7, c8, c9, c10, c11);
  if (n === 13) return fromCharCode(c0, c1, c2, c3, c4, c5, c6, c7, c8, c9, c10, c11, b[p + 12]!);
  if (n === 14) {
    return fromCharCode(c0, c1, c2, c3, c4, c5, c6, c7, c8, c9, c10, c11, b[p + 12]!, b[p + 13]!);
  }
  return fromCharCode(
    c0,
    c1,
    c2,
    c3,
    c4,
    c5,
    c6,
    c7,
    c8,
    c9,
    c10,
    c11,
    b[p + 12]!,
    b[p + 13]!,
    b[p + 14]!,
  );
}

export class WireReader extends MsgpackWalker {
  /** Position of the next byte to read, for `any` and the typed reads. */
  pos = 0;
  private buffer: SlicingBuffer | undefined;

  reset(bytes: Uint8Array): void {
    this.bytes = bytes;
    this.pos = 0;
    this.sawFloat = false;
    this.buffer = undefined;
  }

  /** Keys decode like any other str (the walk's own key decoding is for the reference path). */
  protected override keyText(start: number, end: number): string {
    return this.text(start, end);
  }

  /**
   * Validates and builds the value at `pos` (nil as null, maps as an empty frozen object), leaving
   * `pos` after it. Same checks in the same order as `value`; used only off the happy path.
   */
  any(depth: number): unknown {
    const pos = this.pos;
    const end = this.value(pos, depth);
    const b = this.bytes[pos]!;
    let out: unknown;
    if ((b >= 0x90 && b <= 0x9f) || b === 0xdc || b === 0xdd) {
      const n = b <= 0x9f ? b & 0x0f : this.count(pos + 1, b === 0xdc ? 2 : 4);
      const list: unknown[] = [];
      this.pos = pos + (b <= 0x9f ? 1 : b === 0xdc ? 3 : 5);
      for (let i = 0; i < n; i++) list.push(this.any(depth + 1));
      out = list;
    } else {
      out = this.scalar(pos, b);
    }
    this.pos = end;
    return out;
  }

  /** The JS value of an already validated non-array value at `pos` starting with byte `b`. */
  private scalar(pos: number, b: number): unknown {
    const bytes = this.bytes;
    if (b <= 0x7f) return b;
    if (b >= 0xe0) return b - 0x100;
    if ((b >= 0x80 && b <= 0x8f) || b === 0xde || b === 0xdf) return MAP_VALUE;
    if (b >= 0xa0 && b <= 0xbf) return this.text(pos + 1, pos + 1 + (b & 0x1f));
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    switch (b) {
      case 0xc0:
        return null;
      case 0xc2:
        return false;
      case 0xc3:
        return true;
      case 0xc4:
      case 0xc5:
      case 0xc6: {
        const size = b === 0xc4 ? 1 : b === 0xc5 ? 2 : 4;
        const start = pos + 1 + size;
        return bytes.subarray(start, start + this.count(pos + 1, size));
      }
      case 0xca:
        return view.getFloat32(pos + 1);
      case 0xcb:
        return view.getFloat64(pos + 1);
      case 0xcc:
        return view.getUint8(pos + 1);
      case 0xcd:
        return view.getUint16(pos + 1);
      case 0xce:
        return view.getUint32(pos + 1);
      case 0xcf:
        return view.getUint32(pos + 1) * TWO_32 + view.getUint32(pos + 5);
      case 0xd0:
        return view.getInt8(pos + 1);
      case 0xd1:
        return view.getInt16(pos + 1);
      case 0xd2:
        return view.getInt32(pos + 1);
      case 0xd3:
        return view.getInt32(pos + 1) * TWO_32 + view.getUint32(pos + 5);
      default: {
        // 0xd9-0xdb: str8/16/32.
        const size = b === 0xd9 ? 1 : b === 0xda ? 2 : 4;
        const start = pos + 1 + size;
        return this.text(start, start + this.count(pos + 1, size));
      }
    }
  }

  // ------------------------------------------------------------ text

  /** Decodes validated UTF-8. */
  private text(start: number, end: number): string {
    const s = this.strAt(start, end - start);
    return s === FAIL ? utf8.decode(this.bytes.subarray(start, end)) : s;
  }

  /** The payload as a Buffer, for Node's native string slicing (a view: no copy). */
  private asBuffer(): SlicingBuffer {
    if (this.buffer === undefined) {
      const b = this.bytes;
      const buffer = Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength);
      this.buffer = buffer as SlicingBuffer;
    }
    return this.buffer;
  }

  /**
   * The str of `n` bytes at `start` if it is valid UTF-8, else FAIL. Long ASCII goes through
   * latin1, which Node copies without decoding.
   */
  private strAt(start: number, n: number): string | Fail {
    const b = this.bytes;
    const end = start + n;
    let bits = 0;
    for (let i = start; i < end; i++) bits |= b[i]!;
    if (bits >= 0x80) return this.nonAscii(start, end);
    return n < 16 ? shortAscii(b, start, n) : this.asBuffer().latin1Slice(start, end);
  }

  private nonAscii(start: number, end: number): string | Fail {
    const sub = this.bytes.subarray(start, end);
    return isUtf8(sub) ? utf8.decode(sub) : FAIL;
  }

  // ------------------------------------------------------------ typed reads (never throwing)

  /** A str of at most `max` bytes. */
  str(max: number): string | Fail {
    const b = this.bytes;
    const pos = this.pos;
    const h = b[pos]!;
    let n: number;
    let start: number;
    if (h >= 0xa0 && h <= 0xbf) {
      n = h & 0x1f;
      start = pos + 1;
    } else if (h === 0xd9) {
      n = b[pos + 1]!;
      start = pos + 2;
    } else if (h === 0xda) {
      n = (b[pos + 1]! << 8) | b[pos + 2]!;
      start = pos + 3;
    } else if (h === 0xdb) {
      n = b[pos + 1]! * 0x1000000 + ((b[pos + 2]! << 16) | (b[pos + 3]! << 8) | b[pos + 4]!);
      start = pos + 5;
    } else return FAIL;
    // A header cut short reads undefined bytes: NaN fails both tests below.
    if (!(n <= max) || !(start + n <= b.length)) return FAIL;
    const s = this.strAt(start, n);
    if (s !== FAIL) this.pos = start + n;
    return s;
  }

  /** A non-negative integer below 2^53, in any integer form. */
  uint(): number | Fail {
    const b = this.bytes;
    const pos = this.pos;
    const h = b[pos]!;
    if (h <= 0x7f) {
      this.pos = pos + 1;
      return h;
    }
    let size: number;
    let n: number;
    switch (h) {
      case 0xcc:
      case 0xd0:
        size = 1;
        n = b[pos + 1]!;
        if (h === 0xd0 && n >= 0x80) return FAIL;
        break;
      case 0xcd:
      case 0xd1:
        size = 2;
        n = (b[pos + 1]! << 8) | b[pos + 2]!;
        if (h === 0xd1 && n >= 0x8000) return FAIL;
        break;
      case 0xce:
      case 0xd2:
        size = 4;
        n = b[pos + 1]! * 0x1000000 + ((b[pos + 2]! << 16) | (b[pos + 3]! << 8) | b[pos + 4]!);
        if (h === 0xd2 && n >= 0x8000_0000) return FAIL;
        break;
      case 0xcf:
      case 0xd3: {
        size = 8;
        const high =
          b[pos + 1]! * 0x1000000 + ((b[pos + 2]! << 16) | (b[pos + 3]! << 8) | b[pos + 4]!);
        if (!(high <= SAFE_HIGH)) return FAIL; // >= 2^53, or negative as int64
        const low =
          b[pos + 5]! * 0x1000000 + ((b[pos + 6]! << 16) | (b[pos + 7]! << 8) | b[pos + 8]!);
        n = high * TWO_32 + low;
        break;
      }
      default:
        return FAIL;
    }
    if (pos + 1 + size > b.length) return FAIL;
    this.pos = pos + 1 + size;
    return n;
  }

  /** A bin of `min`..`max` bytes, as a view of the payload. */
  bin(min: number, max: number): Uint8Array | Fail {
    const b = this.bytes;
    const pos = this.pos;
    const h = b[pos]!;
    let n: number;
    let start: number;
    if (h === 0xc4) {
      n = b[pos + 1]!;
      start = pos + 2;
    } else if (h === 0xc5) {
      n = (b[pos + 1]! << 8) | b[pos + 2]!;
      start = pos + 3;
    } else if (h === 0xc6) {
      n = b[pos + 1]! * 0x1000000 + ((b[pos + 2]! << 16) | (b[pos + 3]! << 8) | b[pos + 4]!);
      start = pos + 5;
    } else return FAIL;
    if (!(n >= min && n <= max) || !(start + n <= b.length)) return FAIL;
    this.pos = start + n;
    return b.subarray(start, start + n);
  }

  bool(): boolean | Fail {
    const h = this.bytes[this.pos];
    if (h !== 0xc2 && h !== 0xc3) return FAIL;
    this.pos++;
    return h === 0xc3;
  }

  /** An array header with at most `max` entries, leaving `pos` on the first one. */
  arrayOf(max: number): number | Fail {
    const b = this.bytes;
    const pos = this.pos;
    const h = b[pos]!;
    let n: number;
    let start: number;
    if (h >= 0x90 && h <= 0x9f) {
      n = h & 0x0f;
      start = pos + 1;
    } else if (h === 0xdc) {
      n = (b[pos + 1]! << 8) | b[pos + 2]!;
      start = pos + 3;
    } else if (h === 0xdd) {
      n = b[pos + 1]! * 0x1000000 + ((b[pos + 2]! << 16) | (b[pos + 3]! << 8) | b[pos + 4]!);
      start = pos + 5;
    } else return FAIL;
    // Each entry takes at least one byte (the structural check makes the same test).
    if (!(n <= max) || !(n <= b.length - start)) return FAIL;
    this.pos = start;
    return n;
  }

  /** Header pairs: an array of [str, str]. */
  headers(): [string, string][] | Fail {
    const n = this.arrayOf(Limits.maxHeaders);
    if (n === FAIL) return FAIL;
    const out: [string, string][] = [];
    for (let i = 0; i < n; i++) {
      if (this.arrayOf(2) !== 2) return FAIL;
      const name = this.str(Limits.maxString);
      if (name === FAIL) return FAIL;
      const value = this.str(Limits.maxString);
      if (value === FAIL) return FAIL;
      out.push([name, value]);
    }
    return out;
  }

  /** Reply targets: a non-empty array of [uint, uint, uint]. */
  targets(): [number, number, number][] | Fail {
    const n = this.arrayOf(Limits.maxTargets);
    if (n === FAIL || n === 0) return FAIL;
    const out: [number, number, number][] = [];
    for (let i = 0; i < n; i++) {
      if (this.arrayOf(3) !== 3) return FAIL;
      const conn = this.uint();
      if (conn === FAIL) return FAIL;
      const req = this.uint();
      if (req === FAIL) return FAIL;
      const token = this.uint();
      if (token === FAIL) return FAIL;
      out.push([conn, req, token]);
    }
    return out;
  }
}
