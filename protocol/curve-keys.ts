/**
 * CURVE keys as ZeroMQ writes them: 32-byte Curve25519 keys in Z85 text (ZeroMQ RFC 32, 40
 * characters), and the certificate files of CZMQ/pyzmq (`public-key = "..."` lines), so a key made
 * by `ferry keygen` works in pyzmq's `zmq.auth.load_certificate` and the other way round.
 * Pure: text and bytes in, values or a CurveKeyError out. Reading files is each side's own job.
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync } from "node:crypto";

export const CurveKeyErrorCode = {
  /** Not 40 characters of the Z85 alphabet. */
  Format: "ERR_CURVE_KEY_FORMAT",
  /** A certificate file with no `public-key` / `secret-key` line where one is needed. */
  Certificate: "ERR_CURVE_CERTIFICATE",
  /** A public key that is not the one of the secret key given with it. */
  Mismatch: "ERR_CURVE_KEY_MISMATCH",
  /** A setting that names a file that cannot be read, or two settings that exclude each other. */
  Source: "ERR_CURVE_KEY_SOURCE",
} as const;
export type CurveKeyErrorCode = (typeof CurveKeyErrorCode)[keyof typeof CurveKeyErrorCode];

export class CurveKeyError extends Error {
  override readonly name = "CurveKeyError";
  constructor(
    readonly code: CurveKeyErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** A key pair in Z85 text, the form zeromq.js and pyzmq socket options take. */
export interface CurveKeyPair {
  readonly publicKey: string;
  readonly secretKey: string;
}

const ALPHABET =
  "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#";
const DECODE = new Map([...ALPHABET].map((c, i) => [c, i]));
const KEY_TEXT = /^[0-9a-zA-Z.\-:+=^!/*?&<>()[\]{}@%$#]{40}$/;

/** Z85 text of bytes whose length is a multiple of 4. */
export function z85Encode(bytes: Uint8Array): string {
  if (bytes.length % 4 !== 0) throw new RangeError("Z85 encodes whole 4-byte groups only");
  let out = "";
  for (let i = 0; i < bytes.length; i += 4) {
    let value =
      ((bytes[i]! << 24) >>> 0) + (bytes[i + 1]! << 16) + (bytes[i + 2]! << 8) + bytes[i + 3]!;
    let group = "";
    for (let j = 0; j < 5; j++) {
      group = ALPHABET[value % 85]! + group;
      value = Math.floor(value / 85);
    }
    out += group;
  }
  return out;
}

/** Bytes of Z85 text; throws CurveKeyError(Format) on a bad length or character. */
export function z85Decode(text: string): Buffer {
  if (text.length % 5 !== 0)
    throw new CurveKeyError(CurveKeyErrorCode.Format, "Z85 text length is not a multiple of 5");
  const out = Buffer.alloc((text.length / 5) * 4);
  for (let i = 0; i < text.length; i += 5) {
    let value = 0;
    for (let j = 0; j < 5; j++) {
      const digit = DECODE.get(text[i + j]!);
      if (digit === undefined)
        throw new CurveKeyError(CurveKeyErrorCode.Format, "not a Z85 character");
      value = value * 85 + digit;
    }
    if (value > 0xffffffff)
      throw new CurveKeyError(CurveKeyErrorCode.Format, "Z85 group out of range");
    out.writeUInt32BE(value, (i / 5) * 4);
  }
  return out;
}

/** The key itself if it is a well-formed Z85 CURVE key; otherwise a CurveKeyError naming `what`. */
export function checkKey(text: string, what: string): string {
  const key = text.trim();
  if (!KEY_TEXT.test(key)) {
    throw new CurveKeyError(
      CurveKeyErrorCode.Format,
      `${what}: expected a 40-character Z85 CURVE key`,
    );
  }
  try {
    z85Decode(key);
  } catch {
    throw new CurveKeyError(CurveKeyErrorCode.Format, `${what}: not a valid Z85 CURVE key`);
  }
  return key;
}

// PKCS#8 wrapping of a raw X25519 private key (RFC 8410), so node:crypto can derive its public key.
const PKCS8_X25519_PREFIX = Buffer.from("302e020100300506032b656e04220420", "hex");

/** The public key of a Z85 secret key (the same Curve25519 math as libsodium and libzmq). */
export function publicKeyOf(secretKey: string): string {
  const raw = z85Decode(checkKey(secretKey, "secret key"));
  const privateKey = createPrivateKey({
    key: Buffer.concat([PKCS8_X25519_PREFIX, raw]),
    format: "der",
    type: "pkcs8",
  });
  const jwk = createPublicKey(privateKey).export({ format: "jwk" });
  return z85Encode(Buffer.from(jwk.x ?? "", "base64url"));
}

/** A fresh key pair from the operating system's random source. */
export function generateKeyPair(): CurveKeyPair {
  const { privateKey, publicKey } = generateKeyPairSync("x25519");
  const secret = Buffer.from(privateKey.export({ format: "jwk" }).d ?? "", "base64url");
  const pub = Buffer.from(publicKey.export({ format: "jwk" }).x ?? "", "base64url");
  return { publicKey: z85Encode(pub), secretKey: z85Encode(secret) };
}

/** A pair from a secret key and, optionally, the public key given with it (checked to match). */
export function keyPairOf(secretKey: string, publicKey?: string): CurveKeyPair {
  const secret = checkKey(secretKey, "secret key");
  const derived = publicKeyOf(secret);
  if (publicKey !== undefined && checkKey(publicKey, "public key") !== derived) {
    throw new CurveKeyError(
      CurveKeyErrorCode.Mismatch,
      "the public key given is not the secret key's public key",
    );
  }
  return { publicKey: derived, secretKey: secret };
}

/** The keys in a certificate file's text (CZMQ/pyzmq format), or in a file holding one bare key. */
export function parseCertificate(text: string): { publicKey?: string; secretKey?: string } {
  const bare = text.trim();
  if (KEY_TEXT.test(bare)) return { publicKey: bare };
  const found: { publicKey?: string; secretKey?: string } = {};
  for (const rawLine of text.split(/\r?\n/)) {
    const line = rawLine.trim();
    const match = /^(public-key|secret-key)\s*=\s*["']?([^"'\s]*)["']?$/.exec(line);
    if (!match) continue;
    const key = checkKey(match[2] ?? "", match[1]!);
    if (match[1] === "public-key") found.publicKey = key;
    else found.secretKey = key;
  }
  return found;
}

/** Certificate text in the CZMQ/pyzmq format; with a secret key, the secret certificate. */
export function formatCertificate(
  keys: { publicKey: string; secretKey?: string },
  createdAt = new Date(),
): string {
  const header =
    keys.secretKey === undefined
      ? ["ZeroMQ CURVE Public Certificate", "Give this file to the peers that must trust this key."]
      : [
          "ZeroMQ CURVE **Secret** Certificate",
          "DO NOT PROVIDE THIS FILE TO OTHER USERS nor change its permissions.",
        ];
  const lines = [
    `#   ****  Generated on ${createdAt.toISOString()} by ferry keygen  ****`,
    ...header.map((line) => `#   ${line}`),
    "",
    "metadata",
    "curve",
    `    public-key = "${keys.publicKey}"`,
  ];
  if (keys.secretKey !== undefined) lines.push(`    secret-key = "${keys.secretKey}"`);
  return lines.join("\n") + "\n";
}

/** The key pair in a secret certificate's text, or in text holding only a bare secret key. */
export function keyPairFromText(text: string, where: string): CurveKeyPair {
  const bare = text.trim();
  const keys: { publicKey?: string; secretKey?: string } = KEY_TEXT.test(bare)
    ? { secretKey: bare }
    : parseCertificate(text);
  if (keys.secretKey === undefined) {
    throw new CurveKeyError(CurveKeyErrorCode.Certificate, `${where}: no secret-key in this file`);
  }
  return keyPairOf(keys.secretKey, keys.publicKey);
}

/** The public key in a certificate's text (public or secret), or in text holding a bare key. */
export function publicKeyFromText(text: string, where: string): string {
  const { publicKey } = parseCertificate(text);
  if (publicKey === undefined) {
    throw new CurveKeyError(CurveKeyErrorCode.Certificate, `${where}: no public-key in this file`);
  }
  return publicKey;
}
