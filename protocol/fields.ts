/** Validation of one decoded field against its FieldType. Throws only ProtocolError. */
import { ProtocolError, ProtocolErrorCode as E } from "./errors.js";
import { Limits } from "./limits.js";
import type { FieldType } from "./schema.js";

function fail(code: E, path: string, message: string): never {
  throw new ProtocolError(code, message, path);
}

/** ES2024 String method, in Node since 20. */
type WellFormed = string & { isWellFormed(): boolean };

/** UTF-8 length of `s`, or a number <= max when that is certain without counting. */
function byteLength(s: string, max: number): number {
  // Fast path: a string of n UTF-16 units is at most 3n UTF-8 bytes.
  return s.length * 3 <= max ? s.length : Buffer.byteLength(s, "utf8");
}

function checkString(value: unknown, path: string, max: number): string {
  if (typeof value !== "string") fail(E.FieldType, path, "expected a string");
  if (byteLength(value, max) > max) fail(E.Limit, path, `string longer than ${max} bytes`);
  // A lone surrogate has no UTF-8 form; msgpackr would write bytes no peer can decode.
  if (!(value as WellFormed).isWellFormed()) fail(E.FieldType, path, "string has a lone surrogate");
  return value;
}

function checkUint(value: unknown, path: string): number {
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 0) {
    fail(E.FieldType, path, "expected a non-negative integer below 2^53");
  }
  return value;
}

function checkHeaders(value: unknown, path: string) {
  if (!Array.isArray(value)) fail(E.FieldType, path, "expected an array");
  if (value.length > Limits.maxHeaders)
    fail(E.Limit, path, `more than ${Limits.maxHeaders} entries`);
  for (let i = 0; i < value.length; i++) {
    const pair: unknown = value[i];
    if (!Array.isArray(pair) || pair.length !== 2) {
      fail(E.FieldType, `${path}[${i}]`, "expected a 2-element array");
    }
    checkString(pair[0], `${path}[${i}][0]`, Limits.maxString);
    checkString(pair[1], `${path}[${i}][1]`, Limits.maxString);
  }
  return value;
}

function checkTargets(value: unknown, path: string) {
  if (!Array.isArray(value)) fail(E.FieldType, path, "expected an array");
  if (value.length > Limits.maxTargets)
    fail(E.Limit, path, `more than ${Limits.maxTargets} entries`);
  if (value.length === 0) fail(E.FieldType, path, "expected at least one target");
  for (let i = 0; i < value.length; i++) {
    const triple: unknown = value[i];
    // v1 targets were [conn, req] pairs; v2 needs the request's token in each.
    if (!Array.isArray(triple) || triple.length !== 3) {
      fail(E.FieldType, `${path}[${i}]`, "expected a [conn, req, token] triple");
    }
    checkUint(triple[0], `${path}[${i}][0]`);
    checkUint(triple[1], `${path}[${i}][1]`);
    checkUint(triple[2], `${path}[${i}][2]`);
  }
  return value;
}

/** An integer of the uint type that must also lie in [min, max] (ERR_LIMIT outside). */
function checkRange(value: unknown, path: string, min: number, max: number): number {
  const n = checkUint(value, path);
  if (n < min || n > max) fail(E.Limit, path, `expected ${min}..${max}`);
  return n;
}

export function checkField(type: FieldType, value: unknown, path: string): unknown {
  switch (type) {
    case "str":
      return checkString(value, path, Limits.maxString);
    case "hid": {
      const s = checkString(value, path, Limits.maxId);
      // Ids are ZeroMQ topics: "*" is every frontend's or handler's topic, never one peer's.
      if (s.length === 0 || s.includes("\0") || s === "*") {
        fail(E.FieldType, path, 'expected a non-empty id, not "*"');
      }
      return s;
    }
    case "id":
    case "uint":
      return checkUint(value, path);
    case "status":
      if (typeof value !== "number" || !Number.isInteger(value) || value < 100 || value > 999) {
        fail(E.FieldType, path, "expected an integer status 100..999");
      }
      return value;
    case "bin":
      if (!(value instanceof Uint8Array)) fail(E.FieldType, path, "expected msgpack bin");
      if (value.length > Limits.maxBinary) fail(E.Limit, path, "binary field too large");
      return value;
    case "bool":
      if (typeof value !== "boolean") fail(E.FieldType, path, "expected a boolean");
      return value;
    case "scheme":
      if (value !== "http" && value !== "https") fail(E.FieldType, path, "expected http or https");
      return value;
    case "headers":
      return checkHeaders(value, path);
    case "targets":
      return checkTargets(value, path);
    case "secret":
      if (!(value instanceof Uint8Array)) fail(E.FieldType, path, "expected msgpack bin");
      if (value.length < Limits.minSecret || value.length > Limits.maxSecret) {
        fail(E.Limit, path, `expected ${Limits.minSecret}..${Limits.maxSecret} bytes`);
      }
      return value;
    case "interval":
      return checkRange(value, path, Limits.minInterval, Limits.maxInterval);
    case "capacity":
      return checkRange(value, path, Limits.minCapacity, Limits.maxCapacity);
    case "batch":
      return checkRange(value, path, 1, Limits.maxBatch);
    case "reason":
      return checkString(value, path, Limits.maxReason);
  }
}
