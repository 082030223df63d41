/** Every Mongrel2 vector, both directions: decode(hex) == value, encode(value) == encoded ?? hex. */
import { describe, expect, it } from "vitest";
import { ProtocolError } from "../../protocol/errors.js";
import {
  decodeM2Reply,
  decodeM2Request,
  decodeNetstring,
  decodeTnetstring,
  encodeM2Reply,
  encodeM2Request,
  encodeNetstring,
  encodeTnetstring,
} from "../../protocol/mongrel2/index.js";
import {
  bytesToJson,
  invalidVectors,
  jsonToBytes,
  jsonToReply,
  jsonToRequest,
  jsonToTnet,
  replyToJson,
  requestToJson,
  tnetToJson,
  validVectors,
  type Codec,
  type ReplyJson,
  type RequestJson,
} from "../unit/mongrel2/vector-values.js";

export function decodeAs(codec: Codec, bytes: Buffer): unknown {
  switch (codec) {
    case "netstring":
      return bytesToJson(decodeNetstring(bytes));
    case "tnetstring":
      return tnetToJson(decodeTnetstring(bytes));
    case "request":
      return requestToJson(decodeM2Request(bytes));
    case "reply":
      return replyToJson(decodeM2Reply(bytes));
  }
}

function encodeAs(codec: Codec, value: unknown): Buffer {
  switch (codec) {
    case "netstring":
      return encodeNetstring(jsonToBytes(value));
    case "tnetstring":
      return encodeTnetstring(jsonToTnet(value));
    case "request":
      return encodeM2Request(jsonToRequest(value as RequestJson), (value as RequestJson).format);
    case "reply":
      return encodeM2Reply(jsonToReply(value as ReplyJson));
  }
}

const valid = validVectors();
const invalid = invalidVectors();

describe("mongrel2 vectors", () => {
  it("has enough of them", () => {
    expect(valid.length).toBeGreaterThanOrEqual(15);
    expect(invalid.length).toBeGreaterThanOrEqual(10);
    expect(valid.filter((v) => v.name.startsWith("capture")).length).toBeGreaterThanOrEqual(15);
  });

  describe.each(valid.map((v) => [v.name, v] as const))("valid: %s", (_name, v) => {
    it("decodes to its value", () => {
      expect(decodeAs(v.codec, Buffer.from(v.hex, "hex"))).toEqual(v.value);
    });
    it("encodes to its bytes", () => {
      expect(encodeAs(v.codec, v.value).toString("hex")).toBe(v.encoded ?? v.hex);
    });
    it("decodes what it encodes", () => {
      const bytes = Buffer.from(v.encoded ?? v.hex, "hex");
      expect(decodeAs(v.codec, bytes)).toEqual(v.value);
    });
  });

  describe.each(invalid.map((v) => [v.name, v] as const))("invalid: %s", (_name, v) => {
    it(`throws ${v.error}`, () => {
      let caught: unknown;
      try {
        decodeAs(v.codec, Buffer.from(v.hex, "hex"));
      } catch (err) {
        caught = err;
      }
      expect(caught).toBeInstanceOf(ProtocolError);
      expect((caught as ProtocolError).code).toBe(v.error);
    });
  });
});
