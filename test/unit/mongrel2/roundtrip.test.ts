/** encode -> decode round-trips for generated Mongrel2 values, and the quirks of each codec. */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  decodeM2Reply,
  decodeM2Request,
  decodeTnetstring,
  encodeM2Ctl,
  encodeM2Reply,
  encodeM2Request,
  encodeTnetstring,
  m2CtlOf,
  parseJson,
  parseJsonEntries,
  stringifyJson,
  type M2Headers,
  type TnetValue,
} from "../../../protocol/mongrel2/index.js";

const text = fc.string({ unit: "binary", maxLength: 40 });
const name = fc.stringMatching(/^[a-z][a-z0-9-]{0,20}$/);
const uuid = fc.stringMatching(/^[A-Za-z0-9-]{1,40}$/);

const headers: fc.Arbitrary<M2Headers> = fc
  .uniqueArray(fc.tuple(name, fc.oneof(text, fc.array(text, { minLength: 1, maxLength: 4 }))), {
    selector: ([n]) => n,
    maxLength: 12,
  })
  .map((pairs) => pairs as M2Headers);

const request = fc.record({
  uuid,
  id: fc.nat({ max: 2 ** 40 }),
  path: fc.stringMatching(/^[/@][!-~]{0,30}$/),
  headers,
  body: fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b)),
});

const tnet: fc.Arbitrary<TnetValue> = fc.letrec<{ v: TnetValue }>((tie) => ({
  v: fc.oneof(
    { depthSize: "small" },
    fc.uint8Array({ maxLength: 20 }).map((b) => Buffer.from(b) as Uint8Array),
    fc.maxSafeInteger(),
    fc.double({ noNaN: true, noDefaultInfinity: true }).filter((d) => !Number.isInteger(d)),
    fc.boolean(),
    fc.constant(null),
    fc.array(tie("v"), { maxLength: 4 }),
    fc
      .uniqueArray(fc.tuple(name, tie("v")), { selector: ([k]) => k, maxLength: 4 })
      .map((e) => new Map(e)),
  ),
})).v;

describe("mongrel2 round trips", () => {
  it("requests, JSON and tnetstring headers", () => {
    fc.assert(
      fc.property(
        request,
        fc.constantFrom("json" as const, "tnetstring" as const),
        (req, format) => {
          const decoded = decodeM2Request(encodeM2Request(req, format));
          expect(decoded).toEqual({ ...req, format });
        },
      ),
      { numRuns: 500 },
    );
  });

  it("replies, plain and extended", () => {
    const ids = fc.array(fc.nat({ max: 2 ** 40 }), { minLength: 1, maxLength: 128 });
    fc.assert(
      fc.property(uuid, ids, fc.uint8Array({ maxLength: 100 }), (u, i, body) => {
        expect(decodeM2Reply(encodeM2Reply({ uuid: u, ids: i, body }))).toEqual({
          uuid: u,
          ids: i,
          body: Buffer.from(body),
        });
      }),
      { numRuns: 300 },
    );
    fc.assert(
      fc.property(uuid, ids, tnet, (u, i, args) => {
        const decoded = decodeM2Reply(
          encodeM2Reply({ uuid: u, ids: i, extended: { name: "ctl", args } }),
        );
        expect(decoded.extended).toEqual({ name: "ctl", args });
      }),
      { numRuns: 300 },
    );
  });

  it("tnetstrings of every type", () => {
    fc.assert(
      fc.property(tnet, (v) => {
        expect(decodeTnetstring(encodeTnetstring(v))).toEqual(v);
      }),
      { numRuns: 1000 },
    );
  });

  it("JSON strings with any characters come back, and the text has no raw control bytes", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary", maxLength: 60 }), (s) => {
        const json = stringifyJson(s);
        expect([...json].some((c) => c.charCodeAt(0) < 0x20)).toBe(false);
        expect(parseJson(json)).toBe(s);
        expect(JSON.parse(json)).toBe(s);
      }),
      { numRuns: 1000 },
    );
  });
});

describe("mongrel2 quirks", () => {
  it("accepts raw control characters inside JSON strings (Mongrel2 leaves them unescaped)", () => {
    expect(parseJson('{"a":"x\ty\u0001z"}')).toEqual({ a: "x\ty\u0001z" });
  });

  it("parses large header objects in linear time", () => {
    const value = "v".repeat(1000);
    const text = `{${Array.from({ length: 1000 }, (_, i) => `"k${i}":"${value}"`).join(",")}}`;
    const started = performance.now();
    expect(parseJsonEntries(text)).toHaveLength(1000);
    expect(performance.now() - started).toBeLessThan(500);
  });

  it("keeps JSON key order, integer-like keys included", () => {
    expect(parseJsonEntries('{"b":"1","10":"2","a":"3"}').map(([k]) => k)).toEqual([
      "b",
      "10",
      "a",
    ]);
  });

  it("reads invalid UTF-8 in header values as U+FFFD instead of failing", () => {
    const bytes = Buffer.concat([
      Buffer.from('u 1 / 9:{"a":"'),
      Buffer.from([0xff]),
      Buffer.from('"},0:,'),
    ]);
    expect(decodeM2Request(bytes).headers).toEqual([["a", "\ufffd"]]);
  });

  it("ctl replies: credits, keep-alive and cancel in one dict", () => {
    const bytes = encodeM2Ctl("u", [2, 3], { credits: 200, keepAlive: true, cancel: true });
    expect(bytes.toString()).toBe(
      "u 5:X 2 3, 60:3:ctl,50:7:credits,3:200#10:keep-alive,4:true!6:cancel,1:1#}]",
    );
    expect(m2CtlOf(decodeM2Reply(bytes))).toEqual({ credits: 200, keepAlive: true, cancel: true });
  });

  it("the exact credits reply captured from a handler", () => {
    const bytes = encodeM2Ctl("54c6755b-9628-40a4-9a2d-cc82a816345e", [2], { credits: 200 });
    expect(bytes.toString()).toBe(
      "54c6755b-9628-40a4-9a2d-cc82a816345e 3:X 2, 26:3:ctl,16:7:credits,3:200#}]",
    );
  });

  it("refuses to encode what Mongrel2 would reject", () => {
    expect(() => encodeM2Reply({ uuid: "a.b", ids: [1], body: "x" })).toThrow(
      expect.objectContaining({ code: "ERR_M2_REPLY" }),
    );
    expect(() => encodeM2Reply({ uuid: "a", ids: [], body: "x" })).toThrow(
      expect.objectContaining({ code: "ERR_M2_REPLY" }),
    );
    const ids = Array.from({ length: 129 }, (_, i) => i);
    expect(() => encodeM2Reply({ uuid: "a", ids, body: "x" })).toThrow(
      expect.objectContaining({ code: "ERR_M2_REPLY" }),
    );
    const req = { uuid: "a", id: 1, path: "/a b", headers: [], body: Buffer.alloc(0) };
    expect(() => encodeM2Request(req)).toThrow(expect.objectContaining({ code: "ERR_M2_REQUEST" }));
    expect(() => encodeTnetstring(Number.NaN)).toThrow(
      expect.objectContaining({ code: "ERR_TNETSTRING" }),
    );
  });
});
