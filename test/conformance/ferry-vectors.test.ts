/** Every Ferry vector, both ways: decode(hex) equals value; encode(value) equals hex when canonical. */
import { describe, expect, it } from "vitest";
import {
  decodeToFrontend,
  decodeToHandler,
  encodeToFrontend,
  encodeToHandler,
  isProtocolError,
  ProtocolErrorCode,
  ToFrontendKinds,
  ToFrontendSchema,
  ToHandlerKinds,
  ToHandlerSchema,
  type Draft,
  type ToFrontendMsg,
  type ToHandlerMsg,
} from "../../protocol/index.js";
import {
  fromJsonValue,
  loadVectors,
  toJsonValue,
  type Direction,
  type InvalidVector,
  type ValidVector,
} from "./vector-json.js";

const valid = loadVectors<ValidVector>("ferry-valid.json");
const invalid = loadVectors<InvalidVector>("ferry-invalid.json");
const bytesOf = (hex: string) => new Uint8Array(Buffer.from(hex, "hex"));

function decode(direction: Direction, bytes: Uint8Array): unknown {
  return direction === "to-handler" ? decodeToHandler(bytes) : decodeToFrontend(bytes);
}
function encode(direction: Direction, value: unknown): Buffer {
  return direction === "to-handler"
    ? encodeToHandler(value as Draft<ToHandlerMsg>)
    : encodeToFrontend(value as Draft<ToFrontendMsg>);
}

describe("ferry vectors: files", () => {
  it("have enough vectors, unique names and known directions and codes", () => {
    expect(valid.length).toBeGreaterThanOrEqual(30);
    expect(invalid.length).toBeGreaterThanOrEqual(18);
    const names = [...valid, ...invalid].map((v) => v.name);
    expect(new Set(names).size).toBe(names.length);
    for (const v of [...valid, ...invalid])
      expect(["to-handler", "to-frontend"]).toContain(v.direction);
    const codes: string[] = Object.values(ProtocolErrorCode);
    for (const v of invalid) expect(codes).toContain(v.error);
  });

  it("cover every kind in each direction", () => {
    const kinds = (d: Direction) =>
      new Set(
        valid.filter((v) => v.direction === d).map((v) => (v.value as { kind: string }).kind),
      );
    expect([...kinds("to-handler")].sort()).toEqual([...ToHandlerKinds].sort());
    expect([...kinds("to-frontend")].sort()).toEqual([...ToFrontendKinds].sort());
  });

  it("cover every field of every kind", () => {
    const check = (direction: Direction, schema: typeof ToHandlerSchema) => {
      for (const [kind, fields] of Object.entries(schema)) {
        const values = valid
          .filter((v) => v.direction === direction && (v.value as { kind: string }).kind === kind)
          .map((v) => v.value as Record<string, unknown>);
        for (const f of fields) {
          expect(
            values.some((v) => Object.hasOwn(v, f.name)),
            `${direction} ${kind}.${f.name}`,
          ).toBe(true);
        }
      }
    };
    check("to-handler", ToHandlerSchema);
    check("to-frontend", ToFrontendSchema);
  });
});

describe("ferry vectors: valid", () => {
  for (const vector of valid) {
    it(`decodes: ${vector.name}`, () => {
      expect(toJsonValue(decode(vector.direction, bytesOf(vector.hex)))).toStrictEqual(
        vector.value,
      );
    });
    if (vector.canonical !== false) {
      it(`encodes: ${vector.name}`, () => {
        expect(encode(vector.direction, fromJsonValue(vector.value)).toString("hex")).toBe(
          vector.hex,
        );
      });
    }
  }
});

describe("ferry vectors: invalid", () => {
  for (const vector of invalid) {
    it(`rejects: ${vector.name}`, () => {
      let caught: unknown;
      try {
        decode(vector.direction, bytesOf(vector.hex));
      } catch (err) {
        caught = err;
      }
      expect(isProtocolError(caught)).toBe(true);
      expect((caught as { code: string }).code).toBe(vector.error);
    });
  }
});
