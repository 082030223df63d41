/** Small byte helpers shared by the Mongrel2 codec files. */
import { ProtocolError, type ProtocolErrorCode } from "../errors.js";
import { M2Limits } from "./limits.js";

export const COLON = 0x3a;
export const COMMA = 0x2c;
export const SPACE = 0x20;

const strictUtf8 = new TextDecoder("utf-8", { fatal: true });

function isAscii(bytes: Uint8Array): boolean {
  for (let i = 0; i < bytes.length; i++) if ((bytes[i] as number) > 0x7f) return false;
  return true;
}

/** UTF-8 text, replacing invalid sequences with U+FFFD (what arrives from HTTP clients may be any bytes). */
export function utf8Lenient(bytes: Uint8Array): string {
  return toBuffer(bytes).toString("utf8");
}

/** UTF-8 text, or undefined when the bytes are not valid UTF-8. */
export function utf8Strict(bytes: Uint8Array): string | undefined {
  if (isAscii(bytes)) return toBuffer(bytes).toString("latin1"); // the common case, no decoder
  try {
    return strictUtf8.decode(bytes);
  } catch {
    return undefined;
  }
}

export function toBuffer(data: Uint8Array | string): Buffer {
  if (typeof data === "string") return Buffer.from(data, "utf8");
  return Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}

/** One `LEN:` prefix starting at `offset`; the payload starts right after the colon. */
export interface LengthPrefix {
  length: number;
  /** Index of the first payload byte. */
  start: number;
}

/**
 * Read `DIGITS:` at `offset`. Digits are plain ASCII, no sign, no leading zero (except `0`), at most
 * maxLengthDigits of them (Mongrel2's strtol would take more, and a sign; nothing it sends has one).
 */
export function readLengthPrefix(
  bytes: Uint8Array,
  offset: number,
  code: ProtocolErrorCode,
  what: string,
): LengthPrefix {
  let i = offset;
  let length = 0;
  while (i < bytes.length) {
    const b = bytes[i] as number;
    if (b < 0x30 || b > 0x39) break;
    if (i - offset >= M2Limits.maxLengthDigits) {
      throw new ProtocolError(
        code,
        `${what}: length prefix longer than ${M2Limits.maxLengthDigits} digits`,
      );
    }
    length = length * 10 + (b - 0x30);
    i++;
  }
  const digits = i - offset;
  if (i >= bytes.length) throw new ProtocolError(code, `${what}: truncated length prefix`);
  if (digits === 0) throw new ProtocolError(code, `${what}: no length prefix`);
  if (bytes[i] !== COLON) throw new ProtocolError(code, `${what}: length not followed by ':'`);
  if (digits > 1 && bytes[offset] === 0x30) {
    throw new ProtocolError(code, `${what}: length with a leading zero`);
  }
  if (length > M2Limits.maxPayload) {
    throw new ProtocolError(
      code,
      `${what}: ${length} bytes is past the limit of ${M2Limits.maxPayload}`,
    );
  }
  return { length, start: i + 1 };
}

/** ASCII decimal digits only, no leading zero, a safe integer. */
export function parseDecimalId(text: string): number | undefined {
  if (!/^(0|[1-9][0-9]{0,15})$/.test(text)) return undefined;
  const n = Number(text);
  return Number.isSafeInteger(n) ? n : undefined;
}

/** Mongrel2's UUID grammar (handler_parser.rl): `(alpha | digit | '-')+`. */
export function isM2Uuid(text: string): boolean {
  return text.length > 0 && text.length <= M2Limits.maxUuid && /^[A-Za-z0-9-]+$/.test(text);
}
