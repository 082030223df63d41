/**
 * msgpackr is lenient where other msgpack libraries are strict; the codec must not inherit that.
 * Each test names one quirk and shows the codec's answer.
 */
import { Packr } from "msgpackr";
import { describe, expect, it } from "vitest";
import {
  decodeToFrontend,
  encodeToFrontend,
  encodeToHandler,
  isProtocolError,
  type Draft,
  type ToHandlerMsg,
} from "../../../protocol/index.js";
import { Entries, Float, pack, raw } from "../../conformance/msgpack-writer.js";

const claim = { v: 2, kind: "claim", hid: "h1", conn: 7, req: 12, token: 99 };

function codeOf(run: () => unknown): string | undefined {
  try {
    run();
  } catch (err) {
    expect(isProtocolError(err)).toBe(true);
    return (err as { code: string }).code;
  }
  return undefined;
}

describe("msgpackr quirks", () => {
  it("__proto__ keys are unknown fields: no prototype change, no pollution", () => {
    const bytes = pack(
      new Entries([["__proto__", { polluted: true, kind: "head" }], ...Object.entries(claim)]),
    );
    const msg = decodeToFrontend(bytes);
    expect(msg).toEqual(claim);
    expect(Object.getPrototypeOf(msg)).toBe(Object.prototype);
    expect(({} as { polluted?: boolean }).polluted).toBeUndefined();
  });

  it("a nested __proto__ inside an unknown field changes nothing either", () => {
    const msg = decodeToFrontend(
      pack({ ...claim, x: new Entries([["__proto__", { polluted: true }]]) }),
    );
    expect(msg).toEqual(claim);
    expect(({} as { polluted?: boolean }).polluted).toBeUndefined();
  });

  it("timestamps (ext -1) are refused instead of becoming Dates", () => {
    expect(codeOf(() => decodeToFrontend(pack({ ...claim, conn: raw("d6ff00000001") })))).toBe(
      "ERR_DECODE",
    );
  });

  it("msgpackr record definitions (ext 0x72) cannot turn integers into objects", () => {
    const producer = new Packr({ useRecords: true });
    const recordBytes = producer.pack({ ...claim, to: [{ a: 1 }, { a: 2 }] });
    expect(codeOf(() => decodeToFrontend(recordBytes))).toBe("ERR_DECODE");
  });

  it("every extension type and fixext size is refused", () => {
    for (const ext of [
      "d40001",
      "d5000102",
      "d60001020304",
      "d7000102030405060708",
      "c70100ff",
      "c8000100ff",
      "c900000001 00ff",
    ]) {
      expect(codeOf(() => decodeToFrontend(pack({ ...claim, x: raw(ext) })))).toBe("ERR_DECODE");
    }
  });

  it("uint64 past 2^53 is refused, never rounded", () => {
    expect(codeOf(() => decodeToFrontend(pack({ ...claim, conn: 2n ** 53n + 1n })))).toBe(
      "ERR_FIELD_TYPE",
    );
    expect(
      codeOf(() => decodeToFrontend(pack({ ...claim, conn: raw("d3 0020000000000001") }))),
    ).toBe("ERR_FIELD_TYPE");
    expect(decodeToFrontend(pack({ ...claim, conn: 2n ** 53n - 1n }))).toMatchObject({
      conn: Number.MAX_SAFE_INTEGER,
    });
  });

  it("ids past 2^32 are encoded as uint64 (0xcf), as other msgpack encoders write them", () => {
    const bytes = encodeToFrontend({
      kind: "claim",
      hid: "h1",
      conn: 2 ** 32,
      req: Number.MAX_SAFE_INTEGER,
      token: 2 ** 33 + 1,
    });
    expect(Buffer.from(bytes).toString("hex")).toContain("cf0000000100000000");
    expect(Buffer.from(bytes).toString("hex")).toContain("cf001fffffffffffff");
    expect(Buffer.from(bytes).toString("hex")).toContain("cf0000000200000001");
    expect(bytes.includes(0xcb)).toBe(false); // never as a float64
  });

  it("duplicate keys are refused instead of the last one winning", () => {
    expect(
      codeOf(() => decodeToFrontend(pack(new Entries([...Object.entries(claim), ["hid", "h2"]])))),
    ).toBe("ERR_DECODE");
  });

  it("non-string keys are refused instead of stringified", () => {
    expect(
      codeOf(() => decodeToFrontend(pack(new Entries([...Object.entries(claim), [7, 1]])))),
    ).toBe("ERR_DECODE");
    expect(
      codeOf(() =>
        decodeToFrontend(pack(new Entries([...Object.entries(claim), [new Uint8Array(1), 1]]))),
      ),
    ).toBe("ERR_DECODE");
  });

  it("invalid UTF-8 is refused instead of replaced with U+FFFD", () => {
    expect(codeOf(() => decodeToFrontend(pack({ ...claim, hid: raw("a2 ff61") })))).toBe(
      "ERR_DECODE",
    );
    expect(codeOf(() => decodeToFrontend(pack({ ...claim, hid: raw("a2 c0af") })))).toBe(
      "ERR_DECODE",
    ); // overlong
  });

  it("floats are not integers, even when whole", () => {
    expect(codeOf(() => decodeToFrontend(pack({ ...claim, conn: new Float(7, 32) })))).toBe(
      "ERR_FIELD_TYPE",
    );
  });

  it("0xc1 is refused instead of decoded as an object", () => {
    expect(codeOf(() => decodeToFrontend(pack({ ...claim, x: [raw("c1")] })))).toBe("ERR_DECODE");
  });

  it("a huge array header fails fast without allocating", () => {
    expect(codeOf(() => decodeToFrontend(pack({ ...claim, to: raw("dd7fffffff") })))).toBe(
      "ERR_DECODE",
    );
    expect(codeOf(() => decodeToFrontend(raw("df7fffffff").bytes))).toBe("ERR_DECODE");
  });

  it("deep nesting is refused before any recursion can overflow", () => {
    const deep = new Uint8Array(100_000).fill(0x91);
    expect(
      codeOf(() =>
        decodeToFrontend(pack({ ...claim, x: raw(Buffer.from(deep).toString("hex") + "00") })),
      ),
    ).toBe("ERR_LIMIT");
  });

  it("a payload that is a view into a larger buffer decodes (ZeroMQ frames often are)", () => {
    const bytes = encodeToFrontend({ kind: "claim", hid: "h1", conn: 2 ** 40, req: 12, token: 99 });
    const big = Buffer.concat([Buffer.from([0xc1, 0xc1, 0xc1]), bytes, Buffer.from([0xc1])]);
    expect(decodeToFrontend(big.subarray(3, 3 + bytes.length))).toEqual({
      ...claim,
      conn: 2 ** 40,
    });
  });

  it("plain maps, never records: any msgpack library reads the encoder's bytes", () => {
    const bytes = encodeToFrontend({ kind: "claim", hid: "h1", conn: 7, req: 12, token: 99 });
    expect(bytes[0]).toBe(0x86); // fixmap of 6
    expect(new Packr({ useRecords: false }).unpack(bytes)).toEqual(claim);
  });
});

describe("encoder validation", () => {
  const get = {
    kind: "request",
    fid: "f",
    conn: 1,
    req: 1,
    token: 2 ** 40,
    method: "GET",
    target: "/",
    path: "/",
    query: "",
    version: "HTTP/1.1",
    headers: [],
    remote: "127.0.0.1",
    rport: 1,
    port: 80,
    scheme: "http",
    host: "",
    route: "",
    group: "g",
  } as Draft<ToHandlerMsg>;

  it("refuses a missing required field", () => {
    const { method: _, ...rest } = get as { method: string };
    expect(codeOf(() => encodeToHandler(rest as unknown as Draft<ToHandlerMsg>))).toBe(
      "ERR_MISSING_FIELD",
    );
  });

  it("refuses a string with a lone surrogate (it has no UTF-8 form)", () => {
    expect(
      codeOf(() => encodeToHandler({ ...get, method: "G\ud800" } as Draft<ToHandlerMsg>)),
    ).toBe("ERR_FIELD_TYPE");
  });

  it("refuses ids that are not safe integers and unknown kinds", () => {
    expect(codeOf(() => encodeToHandler({ ...get, conn: 2 ** 53 } as Draft<ToHandlerMsg>))).toBe(
      "ERR_FIELD_TYPE",
    );
    expect(codeOf(() => encodeToHandler({ ...get, conn: 1.5 } as Draft<ToHandlerMsg>))).toBe(
      "ERR_FIELD_TYPE",
    );
    expect(
      codeOf(() => encodeToHandler({ ...get, kind: "head" } as unknown as Draft<ToHandlerMsg>)),
    ).toBe("ERR_UNKNOWN_KIND");
  });

  it("counts limits in UTF-8 bytes, not UTF-16 units", () => {
    expect(
      codeOf(() => encodeToHandler({ ...get, fid: "€".repeat(43) } as Draft<ToHandlerMsg>)),
    ).toBe("ERR_LIMIT");
    expect(
      encodeToHandler({ ...get, fid: "€".repeat(42) } as Draft<ToHandlerMsg>).length,
    ).toBeGreaterThan(0);
  });

  it("drops fields the kind does not have, and undefined optional ones", () => {
    const bytes = encodeToHandler({
      ...get,
      body: undefined,
      extra: 1,
    } as unknown as Draft<ToHandlerMsg>);
    expect(Object.keys(new Packr({ useRecords: false }).unpack(bytes) as object)).not.toContain(
      "extra",
    );
  });
});
