/** Decoders fed random bytes, mutated vectors and every prefix of every valid vector: they return or
 * throw ProtocolError, nothing else, and always terminate. */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decodeToFrontend, decodeToHandler, isProtocolError } from "../../../protocol/index.js";
import { loadVectors, type ValidVector } from "../../conformance/vector-json.js";
import { toFrontendMessage } from "./arbitraries.js";
import { pack } from "../../conformance/msgpack-writer.js";

const decoders = [decodeToHandler, decodeToFrontend];
const valid = loadVectors<ValidVector>("ferry-valid.json");

/** Runs every decoder; fails the test on anything thrown that is not a ProtocolError. */
function decodeAll(bytes: Uint8Array): void {
  for (const decode of decoders) {
    try {
      decode(bytes);
    } catch (err) {
      if (!isProtocolError(err))
        throw new Error(
          `non-ProtocolError for ${Buffer.from(bytes).toString("hex").slice(0, 200)}: ${String(err)}`,
        );
    }
  }
}

/**
 * Every prefix length, except in the middle of the few vectors over 16 KiB: there the cut falls
 * inside one long str or bin, where every length takes the same path, so a stride samples it.
 */
function* prefixEnds(length: number): Generator<number> {
  const edge = 4096;
  for (let end = 0; end < length; end++) {
    if (length <= 16_384 || end < edge || end > length - edge || end % 257 === 0) yield end;
  }
}

describe("decoders never throw anything but ProtocolError", () => {
  it("random bytes", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (b) => decodeAll(b)),
      { numRuns: 5000 },
    );
  });

  it("random bytes after a map header (deeper into the decoder)", () => {
    const head = fc.constantFrom(0x81, 0x82, 0x85, 0x8f, 0xde, 0xdf);
    fc.assert(
      fc.property(head, fc.uint8Array({ maxLength: 200 }), (h, b) =>
        decodeAll(Uint8Array.from([h, ...b])),
      ),
      { numRuns: 5000 },
    );
  });

  it("random msgpack values of any shape", () => {
    fc.assert(
      fc.property(fc.anything({ withNullPrototype: true, withObjectString: true }), (value) => {
        let bytes: Uint8Array;
        try {
          bytes = pack(value);
        } catch {
          return; // a JS value the test writer cannot express (Date, Map, float...)
        }
        decodeAll(bytes);
      }),
      { numRuns: 2000 },
    );
  });

  it("valid messages with one byte changed", () => {
    fc.assert(
      fc.property(
        toFrontendMessage,
        fc.nat(),
        fc.integer({ min: 0, max: 255 }),
        (msg, at, byte) => {
          const bytes = pack(msg);
          bytes[at % bytes.length] = byte;
          decodeAll(bytes);
        },
      ),
      { numRuns: 1500 },
    );
  });

  it("every strict prefix of every valid vector is rejected", () => {
    for (const vector of valid) {
      const bytes = Buffer.from(vector.hex, "hex");
      const decode = vector.direction === "to-handler" ? decodeToHandler : decodeToFrontend;
      for (const end of prefixEnds(bytes.length)) {
        let caught: unknown;
        try {
          decode(bytes.subarray(0, end));
        } catch (err) {
          caught = err;
        }
        if (!isProtocolError(caught))
          expect.fail(`${vector.name}: prefix ${end} gave ${String(caught)}`);
      }
    }
  });
});
