/**
 * A strict structural pass over msgpack bytes, run before msgpackr decodes them. msgpackr is fast
 * but lenient in ways other languages are not: it decodes invalid UTF-8 with replacement
 * characters, turns extension types into Dates or records, returns 0xC1 as an object, lets
 * duplicate keys overwrite each other, stringifies integer keys and allocates before it notices a
 * truncated array. This pass rejects all of that, so every implementation agrees on what a
 * message means. It allocates nothing but the set of top-level keys. Throws only ProtocolError.
 */
import { ProtocolError, ProtocolErrorCode as E } from "./errors.js";
import { KeySet, MsgpackWalker } from "./msgpack-walker.js";

/** What the pass learned about a top-level map. */
export interface MapShape {
  /** Top-level keys whose value holds a float somewhere (no field of the protocol is a float). */
  readonly floatKeys: ReadonlySet<string>;
}

const NO_FLOATS: ReadonlySet<string> = new Set();

/** Position of the first key of a top-level map, or -1 when the value is not a map. */
function firstKeyAt(w: MsgpackWalker): number {
  const b = w.bytes[0];
  if (b === undefined) throw new ProtocolError(E.Decode, "empty payload");
  if (b >= 0x80 && b <= 0x8f) return 1;
  if (b === 0xde) return 3;
  if (b === 0xdf) return 5;
  return -1;
}

function mapCount(w: MsgpackWalker): number {
  const b = w.bytes[0]!;
  if (b <= 0x8f) return b & 0x0f;
  const n = w.count(1, b === 0xde ? 2 : 4);
  if (n > (w.bytes.length - 1) / 2) throw new ProtocolError(E.Decode, "truncated msgpack");
  return n;
}

/**
 * Validates one whole message payload: exactly one well-formed msgpack value, a map with unique
 * str keys. Throws ERR_DECODE, ERR_TRAILING_BYTES, ERR_NOT_MAP or ERR_LIMIT.
 */
export function checkMessageBytes(bytes: Uint8Array): MapShape {
  const w = new MsgpackWalker(bytes);
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
  const w = new MsgpackWalker(bytes);
  w.int64At = [];
  w.value(0, 0);
  for (const at of w.int64At) {
    if (bytes[at + 1]! < 0x80) bytes[at] = 0xcf;
  }
}
