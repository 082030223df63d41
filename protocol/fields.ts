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

function checkPairs(value: unknown, path: string, max: number, what: "headers" | "targets") {
  if (!Array.isArray(value)) fail(E.FieldType, path, "expected an array");
  if (value.length > max) fail(E.Limit, path, `more than ${max} entries`);
  for (let i = 0; i < value.length; i++) {
    const pair: unknown = value[i];
    if (!Array.isArray(pair) || pair.length !== 2) {
      fail(E.FieldType, `${path}[${i}]`, "expected a 2-element array");
    }
    if (what === "headers") {
      checkString(pair[0], `${path}[${i}][0]`, Limits.maxString);
      checkString(pair[1], `${path}[${i}][1]`, Limits.maxString);
    } else {
      checkUint(pair[0], `${path}[${i}][0]`);
      checkUint(pair[1], `${path}[${i}][1]`);
    }
  }
  return value;
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
      return checkPairs(value, path, Limits.maxHeaders, "headers");
    case "targets": {
      const to = checkPairs(value, path, Limits.maxTargets, "targets");
      if (to.length === 0) fail(E.FieldType, path, "expected at least one target");
      return to;
    }
  }
}
