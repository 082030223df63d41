/**
 * Request tokens: 53 random bits from the OS CSPRNG, uniform over 0 .. 2^53-1. A token is the
 * capability to answer its request, so it must not be guessable from other tokens or ids. Bytes
 * are drawn in blocks (one getrandom call per 512 tokens), not per request.
 */
import { randomFillSync } from "node:crypto";

const PER_BLOCK = 512;
const block = Buffer.alloc(PER_BLOCK * 8);
let next = PER_BLOCK;

export function newToken(): number {
  if (next === PER_BLOCK) {
    randomFillSync(block);
    next = 0;
  }
  const at = next++ * 8;
  // High 21 bits and low 32 bits: exactly 53 bits, an exact double.
  return (block.readUInt32LE(at) & 0x1f_ffff) * 0x1_0000_0000 + block.readUInt32LE(at + 4);
}
