/**
 * The reference codec of protocol v2, built on msgpackr: a strict structural pass
 * (msgpack-check.ts), msgpackr, then a check of every field (fields.ts). Three passes, so it is
 * slow, but each pass is simple; tests compare the one-pass codec (codec.ts) with it.
 * Not exported from index.ts: no runtime path uses it.
 */
import { Packr } from "msgpackr";
import { ProtocolError, ProtocolErrorCode as E, type PeerInfo } from "./errors.js";
import { PROTOCOL_VERSION } from "./kinds.js";
import { checkField } from "./fields.js";
import { checkMessageBytes, int64ToUint64, type MapShape } from "./msgpack-check.js";
import { ToFrontendSchema, ToHandlerSchema, type FieldSpec } from "./schema.js";
import type { Draft, ToFrontendMsg, ToHandlerMsg } from "./types.js";

const packr = new Packr({
  useRecords: false,
  variableMapSize: true, // fixmap/map16 by size, as other msgpack encoders write
  mapsAsObjects: true,
  int64AsType: "number", // 64-bit ints past 2^53 decode inexact and fail validation
  // bin decodes as a view of the received buffer (no copy); receivers own their buffers.
  moreTypes: false,
  bundleStrings: false,
  encodeUndefinedAsNil: false,
});

const UINT32_MAX = 0xffff_ffff;

/** Whether any id or token in a `to` list needs 64 bits. */
function hasWideTarget(to: readonly (readonly number[])[]): boolean {
  for (const t of to)
    if (t[0]! > UINT32_MAX || t[1]! > UINT32_MAX || t[2]! > UINT32_MAX) return true;
  return false;
}

const toBigInt = (n: number): number | bigint => (n > UINT32_MAX ? BigInt(n) : n);

function encodeWith(schema: Readonly<Record<string, readonly FieldSpec[]>>, msg: object): Buffer {
  const source = msg as Record<string, unknown>;
  const kind = source.kind;
  const fields = typeof kind === "string" && Object.hasOwn(schema, kind) ? schema[kind] : undefined;
  if (!fields) throw new ProtocolError(E.UnknownKind, `cannot encode kind ${String(kind)}`);
  const out: Record<string, unknown> = { v: PROTOCOL_VERSION, kind };
  let wide = false;
  for (const field of fields) {
    let value = source[field.name];
    if (value === undefined || value === null) {
      if (field.required) throw new ProtocolError(E.MissingField, "required", field.name);
      continue;
    }
    checkField(field.type, value, field.name);
    // msgpackr writes integers past 32 bits as float64; as BigInt they become msgpack integers.
    if ((field.type === "id" || field.type === "uint") && (value as number) > UINT32_MAX) {
      value = BigInt(value as number);
      wide = true;
    } else if (field.type === "targets" && hasWideTarget(value as number[][])) {
      value = (value as number[][]).map((target) => target.map(toBigInt));
      wide = true;
    }
    out[field.name] = value;
  }
  const bytes = packr.pack(out);
  // msgpackr writes a BigInt below 2^63 as int64; canonical form is uint64, as other encoders write.
  if (wide) int64ToUint64(bytes);
  return bytes;
}

/** Encode a message a frontend sends to handlers. Validates it first. */
export function referenceEncodeToHandler(msg: Draft<ToHandlerMsg>): Buffer {
  return encodeWith(ToHandlerSchema, msg);
}

/** Encode a message a handler sends to frontends. Validates it first. */
export function referenceEncodeToFrontend(msg: Draft<ToFrontendMsg>): Buffer {
  return encodeWith(ToFrontendSchema, msg);
}

function unpack(bytes: Uint8Array): [Record<string, unknown>, MapShape] {
  const shape = checkMessageBytes(bytes);
  let value: unknown;
  try {
    value = packr.unpack(bytes);
  } catch (err) {
    // Not expected after checkMessageBytes; kept so that only ProtocolError ever leaves.
    const text = err instanceof Error ? err.message : String(err);
    throw new ProtocolError(E.Decode, `not msgpack: ${text}`);
  }
  if (
    value === null ||
    typeof value !== "object" ||
    Array.isArray(value) ||
    value instanceof Uint8Array
  ) {
    throw new ProtocolError(E.NotMap, "message is not a map");
  }
  return [value as Record<string, unknown>, shape];
}

/** Who sent a message of another version, so that the receiver can say which peer to upgrade. */
function peerOf(map: Record<string, unknown>, v: unknown): PeerInfo | undefined {
  if (typeof v !== "number" || !Number.isSafeInteger(v)) return undefined;
  const id = Object.hasOwn(map, "hid") ? map.hid : Object.hasOwn(map, "fid") ? map.fid : undefined;
  const kind = Object.hasOwn(map, "kind") ? map.kind : undefined;
  return {
    version: v,
    ...(typeof id === "string" ? { id: id.slice(0, 128) } : {}),
    ...(typeof kind === "string" ? { kind: kind.slice(0, 32) } : {}),
  };
}

function decodeWith(
  own: Readonly<Record<string, readonly FieldSpec[]>>,
  other: Readonly<Record<string, readonly FieldSpec[]>>,
  bytes: Uint8Array,
): unknown {
  const [map, shape] = unpack(bytes);
  const v = Object.hasOwn(map, "v") && !shape.floatKeys.has("v") ? map.v : undefined;
  if (v !== PROTOCOL_VERSION) {
    const shown = Object.hasOwn(map, "v") ? String(map.v).slice(0, 32) : "none";
    throw new ProtocolError(E.Version, `unsupported version ${shown}`, "v", peerOf(map, v));
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
  // Unknown fields are ignored: only known ones are copied into the result, in schema order.
  const out: Record<string, unknown> = { v, kind };
  for (const field of fields) {
    const value = Object.hasOwn(map, field.name) ? map[field.name] : undefined;
    // nil means absent, for every field.
    if (value === undefined || value === null) {
      if (field.required) throw new ProtocolError(E.MissingField, "required", field.name);
      continue;
    }
    if (shape.floatKeys.has(field.name)) {
      throw new ProtocolError(E.FieldType, "floats are never used in v2", field.name);
    }
    out[field.name] = checkField(field.type, value, field.name);
  }
  return out;
}

/** Decode and validate a message received by a handler. Throws only ProtocolError. */
export function referenceDecodeToHandler(bytes: Uint8Array): ToHandlerMsg {
  return decodeWith(ToHandlerSchema, ToFrontendSchema, bytes) as ToHandlerMsg;
}

/** Decode and validate a message received by a frontend. Throws only ProtocolError. */
export function referenceDecodeToFrontend(bytes: Uint8Array): ToFrontendMsg {
  return decodeWith(ToFrontendSchema, ToHandlerSchema, bytes) as ToFrontendMsg;
}
