/** The JSON form of test vectors: bytes as {"$bin": "<hex>"}; see protocol/vectors/README.md. */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

export type Direction = "to-handler" | "to-frontend";

export interface ValidVector {
  name: string;
  direction: Direction;
  value: unknown;
  hex: string;
  /** false when `hex` is not what a v2 encoder writes for `value` (decode-only vector). */
  canonical?: boolean;
  note?: string;
}

export interface InvalidVector {
  name: string;
  direction: Direction;
  hex: string;
  error: string;
  note?: string;
}

export const VECTORS_DIR = fileURLToPath(new URL("../../protocol/vectors/", import.meta.url));

/** Replaces every Uint8Array with {"$bin": hex}, recursively. */
export function toJsonValue(value: unknown): unknown {
  if (value instanceof Uint8Array) return { $bin: Buffer.from(value).toString("hex") };
  if (Array.isArray(value)) return value.map(toJsonValue);
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, toJsonValue(v)]));
  }
  return value;
}

/** Replaces every {"$bin": hex} with a Uint8Array, recursively. */
export function fromJsonValue(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(fromJsonValue);
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value);
    if (entries.length === 1 && entries[0]![0] === "$bin" && typeof entries[0]![1] === "string") {
      return new Uint8Array(Buffer.from(entries[0]![1], "hex"));
    }
    return Object.fromEntries(entries.map(([k, v]) => [k, fromJsonValue(v)]));
  }
  return value;
}

export function loadVectors<T>(file: string): T[] {
  return JSON.parse(readFileSync(VECTORS_DIR + file, "utf8")) as T[];
}
