/** encode -> decode returns the message, and the bytes are what an independent writer produces. */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  decodeToFrontend,
  decodeToHandler,
  encodeToFrontend,
  encodeToHandler,
  type Draft,
  type ToFrontendMsg,
  type ToHandlerMsg,
} from "../../../protocol/index.js";
import { hex, pack } from "../../conformance/msgpack-writer.js";
import { toFrontendMessage, toHandlerMessage } from "./arbitraries.js";

/** Buffers and Uint8Arrays compare equal by content. */
const plain = (value: unknown): unknown =>
  JSON.parse(
    JSON.stringify(value, (_k, v: unknown) =>
      v instanceof Uint8Array ||
      (typeof v === "object" && v !== null && (v as { type?: string }).type === "Buffer")
        ? {
            bin: Buffer.from(v instanceof Uint8Array ? v : (v as { data: number[] }).data).toString(
              "hex",
            ),
          }
        : v,
    ),
  );

describe("protocol round trip", () => {
  it("every to-handler kind", () => {
    fc.assert(
      fc.property(toHandlerMessage, (msg) => {
        const bytes = encodeToHandler(msg as Draft<ToHandlerMsg>);
        expect(plain(decodeToHandler(bytes))).toStrictEqual(plain(msg));
        expect(hex(bytes)).toBe(hex(pack(msg)));
      }),
      { numRuns: 400 },
    );
  });

  it("every to-frontend kind", () => {
    fc.assert(
      fc.property(toFrontendMessage, (msg) => {
        const bytes = encodeToFrontend(msg as Draft<ToFrontendMsg>);
        expect(plain(decodeToFrontend(bytes))).toStrictEqual(plain(msg));
        expect(hex(bytes)).toBe(hex(pack(msg)));
      }),
      { numRuns: 400 },
    );
  });
});
