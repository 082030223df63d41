/**
 * Bad bytes never crash or hang the Mongrel2 decoders: every prefix, every one-byte change and
 * random bytes either decode or throw a ProtocolError. Values read back from any split point.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { isProtocolError } from "../../protocol/errors.js";
import {
  decodeM2Reply,
  decodeM2Request,
  decodeNetstring,
  decodeTnetstring,
  parseJson,
  readNetstring,
  readTnetstring,
} from "../../protocol/mongrel2/index.js";
import { validVectors, type Codec } from "../unit/mongrel2/vector-values.js";

const decoders: Record<Codec, (b: Uint8Array) => unknown> = {
  netstring: decodeNetstring,
  tnetstring: decodeTnetstring,
  request: decodeM2Request,
  reply: decodeM2Reply,
};

/** Decode, and fail the test on anything thrown that is not a ProtocolError. */
function decodeOrProtocolError(codec: Codec, bytes: Uint8Array): boolean {
  try {
    decoders[codec](bytes);
    return true;
  } catch (err) {
    if (!isProtocolError(err)) throw err;
    return false;
  }
}

// The 70 KB body vector alone would make the per-prefix loops quadratic; its shape is covered.
const vectors = validVectors().filter((v) => v.hex.length < 4000);

describe("mongrel2 decoders on damaged input", () => {
  it("every strict prefix of a request, netstring or tnetstring is rejected", () => {
    for (const v of vectors.filter((x) => x.codec !== "reply")) {
      const bytes = Buffer.from(v.hex, "hex");
      for (let n = 0; n < bytes.length; n++) {
        expect(decodeOrProtocolError(v.codec, bytes.subarray(0, n)), `${v.name} prefix ${n}`).toBe(
          false,
        );
      }
    }
  });

  it("every prefix of a reply either decodes (its body is open-ended) or throws ProtocolError", () => {
    for (const v of vectors.filter((x) => x.codec === "reply")) {
      const bytes = Buffer.from(v.hex, "hex");
      for (let n = 0; n < bytes.length; n++) decodeOrProtocolError("reply", bytes.subarray(0, n));
    }
  });

  it("every single-byte change throws only ProtocolError", () => {
    for (const v of vectors) {
      const bytes = Buffer.from(v.hex, "hex");
      for (let i = 0; i < bytes.length; i++) {
        for (const b of [0x20, 0x2c, 0x3a, 0x39, 0x7d]) {
          const copy = Buffer.from(bytes);
          copy[i] = b;
          decodeOrProtocolError(v.codec, copy);
        }
      }
    }
  });

  it("reads two concatenated values back from every split of a stream", () => {
    for (const v of vectors.filter((x) => x.codec === "netstring" || x.codec === "tnetstring")) {
      const one = Buffer.from(v.hex, "hex");
      const two = Buffer.concat([one, one]);
      const read = v.codec === "netstring" ? readNetstring : readTnetstring;
      const first = read(two, 0);
      expect(first.next).toBe(one.length);
      expect(read(two, first.next).next).toBe(two.length);
      // A reader handed only part of the stream reports truncation, never a wrong value.
      for (let cut = 0; cut < one.length; cut++) {
        expect(() => read(two.subarray(0, cut), 0)).toThrow();
      }
    }
  });

  it("random bytes: only ProtocolError (fast-check)", () => {
    const codecs: Codec[] = ["netstring", "tnetstring", "request", "reply"];
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.constantFrom(...codecs), (bytes, codec) => {
        decodeOrProtocolError(codec, bytes);
      }),
      { numRuns: 3000 },
    );
  });

  it("random bytes after a plausible start: only ProtocolError", () => {
    const starts = [
      "u-1 2 /p ",
      "u-1 2 /p 5:",
      "u-1 3:X 2, ",
      "u-1 5:1 2 ",
      "9:",
      "3:1:",
      "12:",
    ].map((s) => Buffer.from(s));
    fc.assert(
      fc.property(fc.constantFrom(...starts), fc.uint8Array({ maxLength: 200 }), (start, tail) => {
        const bytes = Buffer.concat([start, tail]);
        for (const codec of ["netstring", "tnetstring", "request", "reply"] as const)
          decodeOrProtocolError(codec, bytes);
      }),
      { numRuns: 2000 },
    );
  });

  it("random JSON-ish text: parseJson returns or throws ProtocolError", () => {
    const alphabet = fc.constantFrom(
      ...'{}[]":,\\tnrfu0123456789.eE+- truefalsenull\t\n\x01'.split(""),
    );
    fc.assert(
      fc.property(fc.array(alphabet, { maxLength: 80 }), (chars) => {
        try {
          parseJson(chars.join(""));
        } catch (err) {
          if (!isProtocolError(err)) throw err;
        }
      }),
      { numRuns: 3000 },
    );
  });

  it("deep nesting is refused quickly, without a stack overflow", () => {
    let t = Buffer.from("0:]");
    for (let i = 0; i < 5000; i++)
      t = Buffer.concat([Buffer.from(`${t.length}:`), t, Buffer.from("]")]);
    expect(() => decodeTnetstring(t)).toThrow(expect.objectContaining({ code: "ERR_TNETSTRING" }));
    expect(() => parseJson("[".repeat(100_000))).toThrow(
      expect.objectContaining({ code: "ERR_JSON" }),
    );
    expect(() => parseJson('{"a":'.repeat(100_000))).toThrow(
      expect.objectContaining({ code: "ERR_JSON" }),
    );
  });
});
