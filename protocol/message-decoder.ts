/**
 * Decodes and validates one message in a single pass over its bytes, driven by the schema tables.
 *
 * It answers exactly as the reference codec (reference-codec.ts: structural check, msgpackr, then
 * fields.ts) does, including which error wins when there are several:
 * - structural errors (ERR_DECODE, ERR_LIMIT on depth, ERR_TRAILING_BYTES, ERR_NOT_MAP) are thrown
 *   as the walk meets them, in byte order, as the reference's first pass does;
 * - every other error waits for the end of the walk, then goes in the reference's order: `v`,
 *   `kind`, then each field in schema order (missing, float, then fields.ts).
 * A field off its happy path is re-read into a JS value and explained by fields.ts itself, so
 * error codes, paths and texts are the reference's. Throws only ProtocolError.
 */
import { ProtocolError, ProtocolErrorCode as E, type PeerInfo } from "./errors.js";
import { checkField } from "./fields.js";
import { PROTOCOL_VERSION } from "./kinds.js";
import { Limits } from "./limits.js";
import {
  KEY_COUNT,
  TypeCode as T,
  KEY_KIND,
  KEY_V,
  keyNumbers,
  type DirectionLayout,
  type FieldLayout,
  type KindLayout,
} from "./schema-layout.js";
import { KeySet } from "./msgpack-walker.js";
import { FAIL, WireReader, type Fail } from "./wire-reader.js";

/** Decoding never calls out while it runs, so one reader and one scratch table serve every call. */
const reader = new WireReader();
/**
 * Where each key's value starts in the message being decoded (also finds duplicates). An entry
 * counts only when its stamp is the current decode's: no clearing per message.
 */
const valueAtTable = new Int32Array(KEY_COUNT);
const stamps = new Int32Array(KEY_COUNT);
let stamp = 0;

/** Where the value of key number `key` starts, or -1 when the message has no such key. */
function valueAt(key: number): number {
  return stamps[key] === stamp ? valueAtTable[key]! : -1;
}

function newStamp(): void {
  if (++stamp === 0x7fff_ffff) {
    stamps.fill(0);
    stamp = 1;
  }
}

/** Marks a field slot whose error waits in `errors`. */
const INVALID: unique symbol = Symbol("invalid");

/** The value of one field on its happy path, or FAIL. */
function readTyped(field: FieldLayout): unknown {
  const r = reader;
  switch (field.code) {
    case T.str:
      return r.str(Limits.maxString);
    case T.reason:
      return r.str(Limits.maxReason);
    case T.hid: {
      const s = r.str(Limits.maxId);
      return s === FAIL || s.length === 0 || s === "*" || s.includes("\0") ? FAIL : s;
    }
    case T.id:
    case T.uint:
      return r.uint();
    case T.status: {
      const n = r.uint();
      return n !== FAIL && n >= 100 && n <= 999 ? n : FAIL;
    }
    case T.interval:
      return inRange(r.uint(), Limits.minInterval, Limits.maxInterval);
    case T.capacity:
      return inRange(r.uint(), Limits.minCapacity, Limits.maxCapacity);
    case T.batch:
      return inRange(r.uint(), 1, Limits.maxBatch);
    case T.bin:
      return r.bin(0, Limits.maxBinary);
    case T.secret:
      return r.bin(Limits.minSecret, Limits.maxSecret);
    case T.bool:
      return r.bool();
    case T.scheme: {
      const s = r.str(5);
      return s === "http" || s === "https" ? s : FAIL;
    }
    case T.headers:
      return r.headers();
    case T.targets:
      return r.targets();
    default:
      return FAIL; // not a field type
  }
}

function inRange(n: number | Fail, min: number, max: number): number | Fail {
  return n !== FAIL && n >= min && n <= max ? n : FAIL;
}

/**
 * Reads the field whose value starts at `pos` into `values[index]` (undefined for nil), or marks
 * it INVALID with its error in `errors`. Returns the position after the value.
 */
function readField(
  field: FieldLayout,
  index: number,
  pos: number,
  values: unknown[],
  errors: (ProtocolError | undefined)[],
): number {
  const r = reader;
  if (r.bytes[pos] === 0xc0) return pos + 1; // nil means absent, for every field
  r.pos = pos;
  const value = readTyped(field);
  if (value !== FAIL) {
    values[index] = value;
    return r.pos;
  }
  // Off the happy path: the structural walk throws what is malformed; otherwise explain it.
  r.pos = pos;
  r.sawFloat = false;
  const loose = r.any(1);
  if (r.sawFloat) {
    errors[index] = new ProtocolError(E.FieldType, "floats are never used in v2", field.name);
    values[index] = INVALID;
    return r.pos;
  }
  try {
    values[index] = checkField(field.type, loose, field.name);
  } catch (err) {
    errors[index] = err as ProtocolError;
    values[index] = INVALID;
  }
  return r.pos;
}

/** Position of the first key when the payload is a map, else -1. */
function firstKeyAt(bytes: Uint8Array): number {
  const b = bytes[0];
  if (b === undefined) throw new ProtocolError(E.Decode, "empty payload");
  if (b >= 0x80 && b <= 0x8f) return 1;
  if (b === 0xde) return 3;
  if (b === 0xdf) return 5;
  return -1;
}

function mapCount(bytes: Uint8Array): number {
  const b = bytes[0]!;
  if (b <= 0x8f) return b & 0x0f;
  const n = reader.count(1, b === 0xde ? 2 : 4);
  if (n > (bytes.length - 1) / 2) throw new ProtocolError(E.Decode, "truncated msgpack");
  return n;
}

/** Index of the field of `layout` from `from` on whose key is the fixstr at `pos`, or -1. */
function matchKey(bytes: Uint8Array, pos: number, layout: KindLayout, from: number): number {
  const h = bytes[pos]!;
  const fields = layout.fields;
  for (let i = from; i < fields.length; i++) {
    const key = fields[i]!.key;
    if (key[0] !== h || pos + key.length > bytes.length) continue;
    let j = 1;
    while (j < key.length && bytes[pos + j] === key[j]) j++;
    if (j === key.length) return i;
  }
  return -1;
}

/** KEY_V or KEY_KIND when the key at `pos` is `v` or `kind` as a fixstr, else -1. */
function commonKeyAt(bytes: Uint8Array, pos: number): number {
  const h = bytes[pos];
  if (h === 0xa1 && bytes[pos + 1] === 0x76) return KEY_V;
  if (
    h === 0xa4 &&
    bytes[pos + 1] === 0x6b &&
    bytes[pos + 2] === 0x69 &&
    bytes[pos + 3] === 0x6e &&
    bytes[pos + 4] === 0x64
  )
    return KEY_KIND;
  return -1;
}

/** The value at a recorded position, as the reference would see it (after the walk: no throw). */
function looseAt(key: number): unknown {
  reader.pos = valueAt(key);
  return reader.any(1);
}

/** ERR_VERSION, with the sender's version, id and kind when the map holds them. */
function versionError(): ProtocolError {
  const r = reader;
  const hasV = valueAt(KEY_V) >= 0;
  r.sawFloat = false;
  const raw = hasV ? looseAt(KEY_V) : undefined;
  const v = r.sawFloat ? undefined : raw;
  const shown = hasV ? String(raw).slice(0, 32) : "none";
  let peer: PeerInfo | undefined;
  if (typeof v === "number" && Number.isSafeInteger(v)) {
    const hid = keyNumbers.get("hid")!;
    const fid = keyNumbers.get("fid")!;
    const idKey = valueAt(hid) >= 0 ? hid : valueAt(fid) >= 0 ? fid : -1;
    const id = idKey >= 0 ? looseAt(idKey) : undefined;
    const kind = valueAt(KEY_KIND) >= 0 ? looseAt(KEY_KIND) : undefined;
    peer = {
      version: v,
      ...(typeof id === "string" ? { id: id.slice(0, 128) } : {}),
      ...(typeof kind === "string" ? { kind: kind.slice(0, 32) } : {}),
    };
  }
  return new ProtocolError(E.Version, `unsupported version ${shown}`, "v", peer);
}

/** ERR_UNKNOWN_KIND or ERR_WRONG_DIRECTION for a message whose kind is not one of `dir`. */
function kindError(dir: DirectionLayout, kind: string | undefined): ProtocolError {
  if (kind === undefined) return new ProtocolError(E.UnknownKind, "kind missing", "kind");
  if (dir.otherKinds.has(kind)) {
    return new ProtocolError(E.WrongDirection, `kind ${kind} does not go this way`, "kind");
  }
  return new ProtocolError(E.UnknownKind, `unknown kind ${kind.slice(0, 64)}`, "kind");
}

/** Decodes one payload for the direction `dir`. */
export function decodeMessage(dir: DirectionLayout, bytes: Uint8Array): unknown {
  const r = reader;
  r.reset(bytes);
  let pos = firstKeyAt(bytes);
  if (pos < 0) {
    const end = r.value(0, 0);
    if (end !== bytes.length) throw new ProtocolError(E.TrailingBytes, "bytes after the message");
    throw new ProtocolError(E.NotMap, "message is not a map");
  }
  const count = mapCount(bytes);
  newStamp();
  let others: KeySet | undefined;
  let versionOk = false;
  let kind: string | undefined;
  let layout: KindLayout | undefined;
  let values: unknown[] = [];
  const errors: (ProtocolError | undefined)[] = [];
  /** Where the value of `kind` starts: fields before it are read once the kind is known. */
  let kindAt = 0;
  let fieldsBeforeKind = false;
  /** Next field to try first: encoders write fields in schema order. */
  let next = 0;

  for (let i = 0; i < count; i++) {
    let field = -1;
    let key: number;
    let name: string;
    if (i < 2 && (key = commonKeyAt(bytes, pos)) >= 0) {
      // `v` and `kind` come first in canonical order.
      name = key === KEY_V ? "v" : "kind";
      pos += key === KEY_V ? 2 : 5;
    } else if (layout !== undefined && (field = matchKey(bytes, pos, layout, next)) >= 0) {
      const f = layout.fields[field]!;
      key = f.keyNumber;
      name = f.name;
      pos += f.key.length;
      next = field + 1;
    } else {
      pos = r.key(pos, true);
      name = r.lastKey;
      key = keyNumbers.get(name) ?? -1;
      if (key < 0) {
        if (!(others ??= new KeySet()).addUnique(name)) {
          throw new ProtocolError(E.Decode, `duplicate key ${name.slice(0, 64)}`);
        }
      } else if (layout !== undefined) {
        field = layout.fieldOfKey[key]!;
      } else if (kind === undefined && key !== KEY_V && key !== KEY_KIND) {
        fieldsBeforeKind = true;
      }
    }
    if (key >= 0) {
      if (stamps[key] === stamp) {
        throw new ProtocolError(E.Decode, `duplicate key ${name.slice(0, 64)}`);
      }
      stamps[key] = stamp;
      valueAtTable[key] = pos;
    }

    if (field >= 0) {
      pos = readField(layout!.fields[field]!, field, pos, values, errors);
    } else if (key === KEY_V) {
      r.pos = pos;
      if (r.uint() === PROTOCOL_VERSION) {
        versionOk = true;
        pos = r.pos;
      } else pos = r.value(pos, 1);
    } else if (key === KEY_KIND) {
      r.pos = pos;
      const s = r.str(Infinity);
      if (s === FAIL) {
        pos = r.value(pos, 1);
      } else {
        kindAt = pos;
        pos = r.pos;
        kind = s;
        layout = dir.kinds.get(s);
        if (layout !== undefined) values = new Array<unknown>(layout.fields.length);
      }
    } else {
      pos = r.value(pos, 1);
    }
  }
  if (pos !== bytes.length) throw new ProtocolError(E.TrailingBytes, "bytes after the message");

  if (!versionOk) throw versionError();
  if (layout === undefined) throw kindError(dir, kind);
  const fields = layout.fields;
  if (fieldsBeforeKind) {
    // Some fields came before `kind` (not in canonical order): read them now.
    for (let i = 0; i < fields.length; i++) {
      const at = valueAt(fields[i]!.keyNumber);
      if (at >= 0 && at < kindAt) readField(fields[i]!, i, at, values, errors);
    }
  }
  for (let i = 0; i < fields.length; i++) {
    const value = values[i];
    if (value === undefined) {
      if (fields[i]!.required) throw new ProtocolError(E.MissingField, "required", fields[i]!.name);
    } else if (value === INVALID) throw errors[i]!;
  }
  return layout.build(PROTOCOL_VERSION, layout.kind, values);
}
