/**
 * Encodes one message by writing msgpack directly while it validates each field, driven by the
 * schema tables: keys `v`, `kind`, then the kind's fields in schema order; absent (undefined or
 * null) optional fields and fields the kind does not have are left out. The bytes are those the
 * reference codec writes (reference-codec.ts). A field that fails its fast check is handed to
 * fields.ts, which throws the reference's error for it.
 */
import { ProtocolError, ProtocolErrorCode as E } from "./errors.js";
import { checkField } from "./fields.js";
import { PROTOCOL_VERSION } from "./kinds.js";
import { Limits } from "./limits.js";
import { TypeCode as T, type DirectionLayout, type FieldLayout } from "./schema-layout.js";
import { WireWriter } from "./wire-writer.js";

/**
 * One writer serves every call: fields are read (which may run getters) before writing starts,
 * and writing runs no code of the caller's, bar accessors on header or target arrays.
 */
const writer = new WireWriter();
const V_KEY = Uint8Array.from([0xa1, 0x76]);
const KIND_KEY = Uint8Array.from([0xa4, 0x6b, 0x69, 0x6e, 0x64]);

function isUint(value: unknown): value is number {
  return typeof value === "number" && Number.isSafeInteger(value) && value >= 0;
}

function inRange(value: unknown, min: number, max: number): value is number {
  return isUint(value) && value >= min && value <= max;
}

function writeHeaders(value: unknown): boolean {
  const w = writer;
  if (!Array.isArray(value) || value.length > Limits.maxHeaders) return false;
  w.arrayHeader(value.length);
  for (const pair of value as unknown[]) {
    if (!Array.isArray(pair) || pair.length !== 2) return false;
    const [name, text] = pair as unknown[];
    if (typeof name !== "string" || typeof text !== "string") return false;
    w.ensure(1);
    w.byte(0x92);
    if (!w.str(name, Limits.maxString) || !w.str(text, Limits.maxString)) return false;
  }
  return true;
}

function writeTargets(value: unknown): boolean {
  const w = writer;
  if (!Array.isArray(value) || value.length > Limits.maxTargets || value.length === 0) return false;
  w.arrayHeader(value.length);
  for (const triple of value as unknown[]) {
    if (!Array.isArray(triple) || triple.length !== 3) return false;
    const [conn, req, token] = triple as unknown[];
    if (!isUint(conn) || !isUint(req) || !isUint(token)) return false;
    w.ensure(1);
    w.byte(0x93);
    w.uint(conn);
    w.uint(req);
    w.uint(token);
  }
  return true;
}

/** Writes one present field's value; false when it is invalid (then nothing counts). */
function writeValue(field: FieldLayout, value: unknown): boolean {
  const w = writer;
  switch (field.code) {
    case T.str:
      return typeof value === "string" && w.str(value, Limits.maxString);
    case T.reason:
      return typeof value === "string" && w.str(value, Limits.maxReason);
    case T.hid:
      // Ids are ZeroMQ topics: "*" is every peer's topic, never one peer's.
      return (
        typeof value === "string" &&
        value.length > 0 &&
        value !== "*" &&
        !value.includes("\0") &&
        w.str(value, Limits.maxId)
      );
    case T.scheme:
      return (value === "http" || value === "https") && w.str(value, 5);
    case T.id:
    case T.uint:
      if (!isUint(value)) return false;
      w.uint(value);
      return true;
    case T.status:
      if (typeof value !== "number" || !Number.isInteger(value) || value < 100 || value > 999)
        return false;
      w.uint(value);
      return true;
    case T.interval:
      return inRange(value, Limits.minInterval, Limits.maxInterval) && (w.uint(value), true);
    case T.capacity:
      return inRange(value, Limits.minCapacity, Limits.maxCapacity) && (w.uint(value), true);
    case T.batch:
      return inRange(value, 1, Limits.maxBatch) && (w.uint(value), true);
    case T.bin:
      if (!(value instanceof Uint8Array) || value.length > Limits.maxBinary) return false;
      w.bin(value);
      return true;
    case T.secret:
      if (!(value instanceof Uint8Array)) return false;
      if (value.length < Limits.minSecret || value.length > Limits.maxSecret) return false;
      w.bin(value);
      return true;
    case T.bool:
      if (typeof value !== "boolean") return false;
      w.bool(value);
      return true;
    case T.headers:
      return writeHeaders(value);
    case T.targets:
      return writeTargets(value);
    default:
      return false; // not a field type
  }
}

/** Throws the reference's error for a field whose value failed its fast check. */
function fieldError(field: FieldLayout, value: unknown): never {
  checkField(field.type, value, field.name);
  // Not expected: the fast checks accept exactly what fields.ts accepts.
  throw new ProtocolError(E.FieldType, "cannot encode", field.name);
}

/** Encodes one message of direction `dir`. */
export function encodeMessage(dir: DirectionLayout, msg: object): Buffer {
  const source = msg as Record<string, unknown>;
  const kind = source.kind;
  const layout = typeof kind === "string" ? dir.kinds.get(kind) : undefined;
  if (layout === undefined) {
    throw new ProtocolError(E.UnknownKind, `cannot encode kind ${String(kind)}`);
  }
  const fields = layout.fields;
  const values = new Array<unknown>(fields.length);
  layout.pick(source, values);
  let headerSize = layout.mapHeaderSize;
  let present = 2;
  if (headerSize === 0) {
    // The kind's map may take either header: count first.
    for (let i = 0; i < fields.length; i++)
      if (values[i] !== undefined && values[i] !== null) present++;
    headerSize = present < 16 ? 1 : 3;
  }
  const w = writer;
  w.begin();
  try {
    // The map header goes first, once the count is known: keep its place.
    w.ensure(headerSize + V_KEY.length + 1 + KIND_KEY.length);
    w.pos += headerSize;
    w.raw(V_KEY);
    w.byte(PROTOCOL_VERSION);
    w.raw(KIND_KEY);
    w.str(kind as string, Infinity);
    present = 2;
    for (let i = 0; i < fields.length; i++) {
      const f = fields[i]!;
      const value = values[i];
      if (value === undefined || value === null) {
        if (f.required) throw new ProtocolError(E.MissingField, "required", f.name);
        continue;
      }
      w.ensure(f.key.length);
      w.raw(f.key);
      if (!writeValue(f, value)) fieldError(f, value);
      present++;
    }
    return w.finishMap(headerSize, present);
  } catch (err) {
    w.abort();
    throw err;
  }
}
