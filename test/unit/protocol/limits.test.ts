/** Limits too large for the vector files: at the limit decodes, one past it is ERR_LIMIT. */
import { Packr } from "msgpackr";
import { describe, expect, it } from "vitest";
import { decodeToFrontend, isProtocolError, Limits } from "../../../protocol/index.js";

// A plain msgpack writer for big test messages (the codec's own encoder refuses past the limits).
const packr = new Packr({ useRecords: false, variableMapSize: true });
const end = (n: number) =>
  packr.pack({ v: 2, kind: "end", hid: "h1", to: Array.from({ length: n }, (_, i) => [i, i, i]) });

function codeOf(run: () => unknown): string | undefined {
  try {
    run();
  } catch (err) {
    expect(isProtocolError(err)).toBe(true);
    return (err as { code: string }).code;
  }
  return undefined;
}

describe("limits", () => {
  it(`to: ${Limits.maxTargets} targets decode, one more is ERR_LIMIT`, () => {
    expect(decodeToFrontend(end(Limits.maxTargets))).toMatchObject({ kind: "end" });
    expect(codeOf(() => decodeToFrontend(end(Limits.maxTargets + 1)))).toBe("ERR_LIMIT");
  });

  it(`arrays nested ${Limits.maxDepth - 1} deep in an unknown field decode, ${Limits.maxDepth} is ERR_LIMIT`, () => {
    // {"v": 2, "kind": "goodbye", ..., "x": [[[...0]]]}: the top-level map is level 1.
    const secret = new Uint8Array(16);
    const head = Buffer.from(packr.pack({ v: 2, kind: "goodbye", hid: "h1", secret, x: 0 }));
    const message = (arrays: number) =>
      Buffer.concat([
        head.subarray(0, head.length - 1),
        Buffer.from("91".repeat(arrays) + "00", "hex"),
      ]);
    expect(decodeToFrontend(message(Limits.maxDepth - 1))).toMatchObject({ kind: "goodbye" });
    expect(codeOf(() => decodeToFrontend(message(Limits.maxDepth)))).toBe("ERR_LIMIT");
  });
});
