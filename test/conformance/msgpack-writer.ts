/**
 * A small, independent msgpack writer for building test vectors: canonical by default (smallest
 * headers and integers, maps in insertion order, bytes as bin), with escape hatches for writing
 * what a lenient or foreign encoder might send (non-minimal forms, floats, raw bytes).
 */

/** Bytes copied as they are. */
export class Raw {
  constructor(readonly bytes: Uint8Array) {}
}
/** A float64 (or float32 when `bits` is 32). */
export class Float {
  constructor(
    readonly value: number,
    readonly bits: 32 | 64 = 64,
  ) {}
}
/** An entry list, for maps with duplicate or non-string keys. */
export class Entries {
  constructor(readonly entries: ReadonlyArray<readonly [unknown, unknown]>) {}
}

export type Writable = unknown;

function u8(n: number): number[] {
  return [n & 0xff];
}
function be(n: number | bigint, size: 2 | 4 | 8): number[] {
  const view = new DataView(new ArrayBuffer(size));
  if (size === 2) view.setUint16(0, Number(n));
  else if (size === 4) view.setUint32(0, Number(n));
  else view.setBigUint64(0, BigInt.asUintN(64, BigInt(n)));
  return [...new Uint8Array(view.buffer)];
}

function header(n: number, fix: number, fixMax: number, codes: [number, number, number]): number[] {
  if (n <= fixMax && fix >= 0) return [fix | n];
  if (n < 0x100 && codes[0] >= 0) return [codes[0], ...u8(n)];
  if (n < 0x10000) return [codes[1], ...be(n, 2)];
  return [codes[2], ...be(n, 4)];
}

function int(n: number | bigint): number[] {
  const b = BigInt(n);
  if (b >= 0n) {
    if (b < 0x80n) return [Number(b)];
    if (b < 0x100n) return [0xcc, Number(b)];
    if (b < 0x10000n) return [0xcd, ...be(b, 2)];
    if (b < 0x100000000n) return [0xce, ...be(b, 4)];
    return [0xcf, ...be(b, 8)];
  }
  if (b >= -32n) return [Number(b) & 0xff];
  if (b >= -0x80n) return [0xd0, Number(b) & 0xff];
  if (b >= -0x8000n) return [0xd1, ...be(Number(b) & 0xffff, 2)];
  if (b >= -0x80000000n) return [0xd2, ...be(Number(b) >>> 0, 4)];
  return [0xd3, ...be(b, 8)];
}

function write(value: Writable, out: number[]): void {
  if (value instanceof Raw) out.push(...value.bytes);
  else if (value === null || value === undefined) out.push(0xc0);
  else if (value === false) out.push(0xc2);
  else if (value === true) out.push(0xc3);
  else if (typeof value === "bigint") out.push(...int(value));
  else if (typeof value === "number") {
    if (!Number.isInteger(value)) throw new Error(`use Float for ${value}`);
    out.push(...int(value));
  } else if (value instanceof Float) {
    const view = new DataView(new ArrayBuffer(value.bits / 8));
    if (value.bits === 32) view.setFloat32(0, value.value);
    else view.setFloat64(0, value.value);
    out.push(value.bits === 32 ? 0xca : 0xcb, ...new Uint8Array(view.buffer));
  } else if (typeof value === "string") {
    const bytes = Buffer.from(value, "utf8");
    out.push(...header(bytes.length, 0xa0, 31, [0xd9, 0xda, 0xdb]));
    for (const b of bytes) out.push(b);
  } else if (value instanceof Uint8Array) {
    out.push(...header(value.length, -1, -1, [0xc4, 0xc5, 0xc6]));
    for (const b of value) out.push(b);
  } else if (Array.isArray(value)) {
    out.push(...header(value.length, 0x90, 15, [-1, 0xdc, 0xdd]));
    for (const item of value) write(item, out);
  } else if (value instanceof Entries) {
    out.push(...header(value.entries.length, 0x80, 15, [-1, 0xde, 0xdf]));
    for (const [k, v] of value.entries) {
      write(k, out);
      write(v, out);
    }
  } else if (typeof value === "object") {
    write(new Entries(Object.entries(value).filter(([, v]) => v !== undefined)), out);
  } else {
    throw new Error(`cannot write ${typeof value}`);
  }
}

/** Canonical msgpack bytes of `value` (see the classes above for non-canonical pieces). */
export function pack(value: Writable): Uint8Array {
  const out: number[] = [];
  write(value, out);
  return Uint8Array.from(out);
}

export const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString("hex");
export const raw = (hexText: string): Raw =>
  new Raw(Buffer.from(hexText.replace(/\s+/g, ""), "hex"));
