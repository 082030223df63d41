/**
 * The strict structural walk over msgpack bytes that both decoders share: the one-pass reader
 * (wire-reader.ts) and the reference check before msgpackr (msgpack-check.ts). msgpackr is
 * lenient where other languages are not, so this walk rejects invalid UTF-8 in str, extension
 * types, 0xc1, non-str map keys, truncation (before allocating for an impossible count), and
 * nesting or counts past the protocol's limits. Throws only ProtocolError.
 */
import { isUtf8 } from "node:buffer";
import { ProtocolError, ProtocolErrorCode as E } from "./errors.js";
import { Limits } from "./limits.js";

const keyDecoder = new TextDecoder("utf-8");

export class MsgpackWalker {
  constructor(public bytes: Uint8Array = new Uint8Array(0)) {}
  /** Set by `value` when it passes a float (no field of the protocol is a float). */
  sawFloat = false;
  /** Positions of int64 tokens (0xd3), collected only when set to a list (see int64ToUint64). */
  int64At: number[] | undefined = undefined;
  /** The text of the key `key()` read last when asked to keep it. */
  lastKey = "";

  protected need(pos: number, n: number): void {
    if (pos + n > this.bytes.length) throw new ProtocolError(E.Decode, "truncated msgpack");
  }

  /** A big-endian length of `size` bytes at `pos`. */
  count(pos: number, size: 1 | 2 | 4): number {
    this.need(pos, size);
    const b = this.bytes;
    if (size === 1) return b[pos]!;
    if (size === 2) return (b[pos]! << 8) | b[pos + 1]!;
    return b[pos]! * 0x1000000 + ((b[pos + 1]! << 16) | (b[pos + 2]! << 8) | b[pos + 3]!);
  }

  /** Validates a str payload of `n` bytes at `pos`; returns the position after it. */
  protected strEnd(pos: number, n: number): number {
    this.need(pos, n);
    const end = pos + n;
    const b = this.bytes;
    for (let i = pos; i < end; i++) {
      if (b[i]! >= 0x80) {
        if (!isUtf8(b.subarray(pos, end))) {
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

  private entries(pos: number, n: number, depth: number): number {
    if (n > (this.bytes.length - pos) / 2) throw new ProtocolError(E.Decode, "truncated msgpack");
    for (let i = 0; i < n; i++) {
      pos = this.key(pos, false);
      pos = this.value(pos, depth);
    }
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
    const n = b <= 0xbf ? b & 0x1f : this.count(pos + 1, b === 0xd9 ? 1 : b === 0xda ? 2 : 4);
    const end = this.strEnd(start, n);
    if (keep) this.lastKey = this.keyText(start, end);
    return end;
  }

  /** The text of a validated key (keys are short and ASCII in practice). */
  protected keyText(start: number, end: number): string {
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
    if (b >= 0xa0 && b <= 0xbf) return this.strEnd(pos + 1, b & 0x1f);
    if (depth >= Limits.maxDepth) {
      if ((b >= 0x80 && b <= 0x9f) || (b >= 0xdc && b <= 0xdf)) {
        throw new ProtocolError(E.Limit, `nested deeper than ${Limits.maxDepth}`);
      }
    }
    if (b >= 0x90 && b <= 0x9f) return this.items(pos + 1, b & 0x0f, depth + 1);
    if (b >= 0x80 && b <= 0x8f) return this.entries(pos + 1, b & 0x0f, depth + 1);
    switch (b) {
      case 0xc4:
        return this.skip(pos + 2, this.count(pos + 1, 1));
      case 0xc5:
        return this.skip(pos + 3, this.count(pos + 1, 2));
      case 0xc6:
        return this.skip(pos + 5, this.count(pos + 1, 4));
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
        return this.strEnd(pos + 2, this.count(pos + 1, 1));
      case 0xda:
        return this.strEnd(pos + 3, this.count(pos + 1, 2));
      case 0xdb:
        return this.strEnd(pos + 5, this.count(pos + 1, 4));
      case 0xdc:
        return this.items(pos + 3, this.count(pos + 1, 2), depth + 1);
      case 0xdd:
        return this.items(pos + 5, this.count(pos + 1, 4), depth + 1);
      case 0xde:
        return this.entries(pos + 3, this.count(pos + 1, 2), depth + 1);
      case 0xdf:
        return this.entries(pos + 5, this.count(pos + 1, 4), depth + 1);
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

  protected skip(pos: number, n: number): number {
    this.need(pos, n);
    return pos + n;
  }
}

/** Duplicate detection without a Set for the usual handful of keys. */
export class KeySet {
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
