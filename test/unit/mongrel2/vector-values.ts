/**
 * The JSON form of Mongrel2 vectors (protocol/vectors/mongrel2-*.json) <-> codec values.
 * Bytes are a JSON string when they are UTF-8, else {"$bin": hex}; a tnetstring integer is a JSON
 * integer, a float a JSON number with a fraction, a dict a JSON object.
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type {
  M2HeaderFormat,
  M2Headers,
  M2Reply,
  M2ReplyDraft,
  M2Request,
  TnetInput,
  TnetValue,
} from "../../../protocol/mongrel2/index.js";

export type Codec = "netstring" | "tnetstring" | "request" | "reply";
export interface ValidVector {
  name: string;
  codec: Codec;
  value: unknown;
  hex: string;
  /** What Ferry's encoder writes when it differs from `hex` (Mongrel2's raw, unescaped form). */
  encoded?: string;
}
export interface InvalidVector {
  name: string;
  codec: Codec;
  hex: string;
  error: string;
}

function load<T>(file: string): T[] {
  const path = fileURLToPath(new URL(`../../../protocol/vectors/${file}`, import.meta.url));
  return JSON.parse(readFileSync(path, "utf8")) as T[];
}
export const validVectors = (): ValidVector[] => load<ValidVector>("mongrel2-valid.json");
export const invalidVectors = (): InvalidVector[] => load<InvalidVector>("mongrel2-invalid.json");

type Bin = { $bin: string };
const isBin = (v: unknown): v is Bin => typeof v === "object" && v !== null && "$bin" in v;
const strict = new TextDecoder("utf-8", { fatal: true });

export function bytesToJson(bytes: Uint8Array): string | Bin {
  try {
    return strict.decode(bytes);
  } catch {
    return { $bin: Buffer.from(bytes).toString("hex") };
  }
}
export function jsonToBytes(v: unknown): Buffer {
  return isBin(v) ? Buffer.from(v.$bin, "hex") : Buffer.from(v as string, "utf8");
}

export function tnetToJson(v: TnetValue): unknown {
  if (v instanceof Uint8Array) return bytesToJson(v);
  if (Array.isArray(v)) return v.map(tnetToJson);
  if (v instanceof Map)
    return Object.fromEntries([...v.entries()].map(([k, x]) => [k, tnetToJson(x)]));
  return v;
}
export function jsonToTnet(v: unknown): TnetInput {
  if (isBin(v)) return Buffer.from(v.$bin, "hex");
  if (Array.isArray(v)) return v.map(jsonToTnet);
  if (v !== null && typeof v === "object") {
    return new Map(Object.entries(v).map(([k, x]) => [k, jsonToTnet(x)]));
  }
  return v as TnetInput;
}

export interface RequestJson {
  uuid: string;
  id: number;
  path: string;
  format: M2HeaderFormat;
  headers: M2Headers;
  body: string | Bin;
}
export function requestToJson(r: M2Request & { format: M2HeaderFormat }): RequestJson {
  return {
    uuid: r.uuid,
    id: r.id,
    path: r.path,
    format: r.format,
    headers: r.headers,
    body: bytesToJson(r.body),
  };
}
export function jsonToRequest(v: RequestJson): M2Request {
  return { uuid: v.uuid, id: v.id, path: v.path, headers: v.headers, body: jsonToBytes(v.body) };
}

export interface ReplyJson {
  uuid: string;
  ids: number[];
  body: string | Bin;
  extended?: { name: string; args: unknown };
}
export function replyToJson(r: M2Reply): ReplyJson {
  const out: ReplyJson = { uuid: r.uuid, ids: r.ids, body: bytesToJson(r.body) };
  if (r.extended) out.extended = { name: r.extended.name, args: tnetToJson(r.extended.args) };
  return out;
}
export function jsonToReply(v: ReplyJson): M2ReplyDraft {
  if (v.extended)
    return {
      uuid: v.uuid,
      ids: v.ids,
      extended: { name: v.extended.name, args: jsonToTnet(v.extended.args) },
    };
  return { uuid: v.uuid, ids: v.ids, body: jsonToBytes(v.body) };
}
