/**
 * Ferry protocol v1 codec: one msgpack map per message. Plain maps only (never msgpackr records),
 * bodies as bin, integers as integers, so any msgpack library reads and writes it.
 */
import { Packr } from "msgpackr";
import { ProtocolError, ProtocolErrorCode as E } from "./errors.js";
import { PROTOCOL_VERSION } from "./kinds.js";
import { checkField } from "./fields.js";
import { ToFrontendSchema, ToHandlerSchema, type FieldSpec } from "./schema.js";
import type { Draft, ToFrontendMsg, ToHandlerMsg } from "./types.js";

const packr = new Packr({
  useRecords: false,
  variableMapSize: true, // fixmap/map16 by size, as other msgpack encoders write
  mapsAsObjects: true,
  int64AsType: "number", // 64-bit ints past 2^53 decode inexact and fail validation
  moreTypes: false,
  bundleStrings: false,
  encodeUndefinedAsNil: false,
});

const UINT32_MAX = 0xffff_ffff;

function wireValue(value: unknown): unknown {
  // msgpackr writes integers past 32 bits as float64; BigInt makes them msgpack integers.
  if (typeof value === "number" && Number.isInteger(value) && value > UINT32_MAX) {
    return BigInt(value);
  }
  if (Array.isArray(value)) return value.map(wireValue);
  return value;
}

function encodeWith(schema: Readonly<Record<string, readonly FieldSpec[]>>, msg: object): Buffer {
  const source = msg as Record<string, unknown>;
  const kind = source.kind;
  const fields = typeof kind === "string" && Object.hasOwn(schema, kind) ? schema[kind] : undefined;
  if (!fields) throw new ProtocolError(E.UnknownKind, `cannot encode kind ${String(kind)}`);
  const out: Record<string, unknown> = { v: PROTOCOL_VERSION, kind };
  for (const field of fields) {
    const value = source[field.name];
    if (value === undefined) {
      if (field.required) throw new ProtocolError(E.MissingField, "required", field.name);
      continue;
    }
    checkField(field.type, value, field.name);
    out[field.name] = wireValue(value);
  }
  return packr.pack(out);
}

/** Encode a message a frontend sends to handlers. Validates it first. */
export function encodeToHandler(msg: Draft<ToHandlerMsg>): Buffer {
  return encodeWith(ToHandlerSchema, msg);
}

/** Encode a message a handler sends to frontends. Validates it first. */
export function encodeToFrontend(msg: Draft<ToFrontendMsg>): Buffer {
  return encodeWith(ToFrontendSchema, msg);
}

function unpack(bytes: Uint8Array): unknown {
  try {
    return packr.unpack(bytes);
  } catch (err) {
    const text = err instanceof Error ? err.message : String(err);
    if (text.includes("end of buffer not reached")) {
      throw new ProtocolError(E.TrailingBytes, "bytes after the message");
    }
    throw new ProtocolError(E.Decode, `not msgpack: ${text}`);
  }
}

function decodeWith(
  own: Readonly<Record<string, readonly FieldSpec[]>>,
  other: Readonly<Record<string, readonly FieldSpec[]>>,
  bytes: Uint8Array,
): unknown {
  const value = unpack(bytes);
  if (value === null || typeof value !== "object" || Array.isArray(value) || value instanceof Uint8Array) {
    throw new ProtocolError(E.NotMap, "message is not a map");
  }
  const map = value as Record<string, unknown>;
  const v = Object.hasOwn(map, "v") ? map.v : undefined;
  if (v !== PROTOCOL_VERSION) {
    throw new ProtocolError(E.Version, `unsupported version ${JSON.stringify(v) ?? "none"}`, "v");
  }
  const kind = Object.hasOwn(map, "kind") ? map.kind : undefined;
  if (typeof kind !== "string") throw new ProtocolError(E.UnknownKind, "kind missing", "kind");
  const fields = Object.hasOwn(own, kind) ? own[kind] : undefined;
  if (!fields) {
    if (Object.hasOwn(other, kind)) {
      throw new ProtocolError(E.WrongDirection, `kind ${kind} does not go this way`, "kind");
    }
    throw new ProtocolError(E.UnknownKind, `unknown kind ${kind.slice(0, 64)}`, "kind");
  }
  // Unknown fields are ignored: only known ones are copied into the result.
  const out: Record<string, unknown> = { v, kind };
  for (const field of fields) {
    const present = Object.hasOwn(map, field.name);
    if (!present || map[field.name] === undefined) {
      if (field.required) throw new ProtocolError(E.MissingField, "required", field.name);
      continue;
    }
    // nil for an optional field means absent.
    if (map[field.name] === null && !field.required) continue;
    out[field.name] = checkField(field.type, map[field.name], field.name);
  }
  return out;
}

/** Decode and validate a message received by a handler. Throws only ProtocolError. */
export function decodeToHandler(bytes: Uint8Array): ToHandlerMsg {
  return decodeWith(ToHandlerSchema, ToFrontendSchema, bytes) as ToHandlerMsg;
}

/** Decode and validate a message received by a frontend. Throws only ProtocolError. */
export function decodeToFrontend(bytes: Uint8Array): ToFrontendMsg {
  return decodeWith(ToFrontendSchema, ToHandlerSchema, bytes) as ToFrontendMsg;
}
