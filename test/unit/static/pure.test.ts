import { describe, expect, it } from "vitest";
import fc from "fast-check";
import {
  parseRange,
  mapRequestPath,
  evaluatePreconditions,
} from "../../../frontend/static/index.js";
import { parseEntityTags, ifRangeAllows } from "../../../frontend/static/conditional.js";
import { acceptableCodings } from "../../../frontend/static/encodings.js";
import { StaticRouteConfigSchema, StaticTargetSchema } from "../../../frontend/static/config.js";

describe("parseRange", () => {
  it("parses, clamps, sorts and merges", () => {
    expect(parseRange("bytes=0-0", 10)).toEqual({ kind: "ranges", ranges: [{ start: 0, end: 0 }] });
    expect(parseRange("bytes=-3", 10)).toEqual({ kind: "ranges", ranges: [{ start: 7, end: 9 }] });
    expect(parseRange("bytes=-30", 10)).toEqual({ kind: "ranges", ranges: [{ start: 0, end: 9 }] });
    expect(parseRange("BYTES = 5-", 10)).toEqual({
      kind: "ranges",
      ranges: [{ start: 5, end: 9 }],
    });
    expect(parseRange("bytes=8-9, 0-1", 10)).toEqual({
      kind: "ranges",
      ranges: [
        { start: 0, end: 1 },
        { start: 8, end: 9 },
      ],
    });
    expect(parseRange("bytes=0-4,3-6,7-7", 10)).toEqual({
      kind: "ranges",
      ranges: [{ start: 0, end: 7 }],
    });
    expect(parseRange("bytes=20-30,5-6", 10)).toEqual({
      kind: "ranges",
      ranges: [{ start: 5, end: 6 }],
    });
  });

  it("tells unsatisfiable from malformed", () => {
    expect(parseRange("bytes=10-", 10)).toEqual({ kind: "unsatisfiable" });
    expect(parseRange("bytes=-0", 10)).toEqual({ kind: "unsatisfiable" });
    expect(parseRange("bytes=0-", 0)).toEqual({ kind: "unsatisfiable" });
    for (const h of [
      undefined,
      "bytes=3-1",
      "bytes=x",
      "lines=1-2",
      "bytes=1-2-3",
      "bytes=,",
      "bytes=-",
    ]) {
      expect(parseRange(h, 10), String(h)).toEqual({ kind: "whole" });
    }
    const many = `bytes=${Array.from({ length: 17 }, (_, i) => `${i * 2}-${i * 2}`).join(",")}`;
    expect(parseRange(many, 100)).toEqual({ kind: "whole" });
  });

  it("always yields in-bounds, disjoint, sorted ranges", () => {
    const spec = fc.oneof(
      fc.tuple(fc.nat(200), fc.nat(200)).map(([a, b]) => `${a}-${b}`),
      fc.nat(200).map((a) => `${a}-`),
      fc.nat(200).map((a) => `-${a}`),
      fc.string({ maxLength: 5 }),
    );
    fc.assert(
      fc.property(fc.array(spec, { maxLength: 20 }), fc.nat(150), (specs, size) => {
        const r = parseRange(`bytes=${specs.join(",")}`, size);
        if (r.kind !== "ranges") return;
        let previousEnd = -2;
        for (const { start, end } of r.ranges) {
          expect(start).toBeGreaterThan(previousEnd + 1);
          expect(end).toBeGreaterThanOrEqual(start);
          expect(end).toBeLessThan(size);
          previousEnd = end;
        }
      }),
    );
  });
});

describe("preconditions", () => {
  const v = { etag: '"a-1"', lastModifiedSeconds: 1000 };
  const date = (s: number) => new Date(s * 1000).toUTCString();

  it("parses entity tag lists, including commas inside tags", () => {
    expect(parseEntityTags('"a", W/"b"')).toEqual([
      { weak: false, opaque: "a" },
      { weak: true, opaque: "b" },
    ]);
    expect(parseEntityTags('"x,y"')).toEqual([{ weak: false, opaque: "x,y" }]);
    expect(parseEntityTags(" * ")).toBe("*");
    expect(parseEntityTags("a")).toBeNull();
    expect(parseEntityTags('"a" "b"')).toBeNull();
  });

  it("follows the RFC 9110 evaluation order", () => {
    expect(evaluatePreconditions("GET", {}, v)).toBe("proceed");
    // If-Match failing wins over a matching If-None-Match.
    expect(evaluatePreconditions("GET", { "if-match": '"z"', "if-none-match": '"a-1"' }, v)).toBe(
      "failed",
    );
    // If-Unmodified-Since is ignored when If-Match is present.
    expect(
      evaluatePreconditions("GET", { "if-match": '"a-1"', "if-unmodified-since": date(1) }, v),
    ).toBe("proceed");
    expect(evaluatePreconditions("PUT", { "if-none-match": "*" }, v)).toBe("failed");
    expect(evaluatePreconditions("HEAD", { "if-none-match": '"a-1"' }, v)).toBe("not-modified");
    expect(evaluatePreconditions("DELETE", { "if-modified-since": date(2000) }, v)).toBe("proceed");
    expect(evaluatePreconditions("GET", { "if-modified-since": date(1000) }, v)).toBe(
      "not-modified",
    );
    expect(evaluatePreconditions("GET", { "if-modified-since": date(999) }, v)).toBe("proceed");
  });

  it("If-Range needs a strong match or the exact date", () => {
    expect(ifRangeAllows({}, v)).toBe(true);
    expect(ifRangeAllows({ "if-range": '"a-1"' }, v)).toBe(true);
    expect(ifRangeAllows({ "if-range": 'W/"a-1"' }, v)).toBe(false);
    expect(ifRangeAllows({ "if-range": date(1000) }, v)).toBe(true);
    expect(ifRangeAllows({ "if-range": date(1001) }, v)).toBe(false);
    expect(ifRangeAllows({ "if-range": "nonsense" }, v)).toBe(false);
  });
});

describe("mapRequestPath", () => {
  it("decodes once and refuses escapes", () => {
    expect(mapRequestPath("/a/%62/./c/?x")).toMatchObject({
      ok: true,
      segments: ["a", "b", "c"],
      trailingSlash: true,
      query: "?x",
    });
    expect(mapRequestPath("/%252e%252e/x")).toMatchObject({ ok: true, segments: ["%2e%2e", "x"] });
    expect(mapRequestPath("/a/../b")).toMatchObject({ ok: false, status: 400 });
    expect(mapRequestPath("/%2e%2e")).toMatchObject({ ok: false, status: 400 });
    expect(mapRequestPath("/a%5cb")).toMatchObject({ ok: false, status: 400 });
    expect(mapRequestPath("/a%00")).toMatchObject({ ok: false, status: 400 });
    expect(mapRequestPath("/%zz")).toMatchObject({ ok: false, status: 400 });
    expect(mapRequestPath("http://evil/x")).toMatchObject({ ok: false, status: 400 });
    expect(mapRequestPath(undefined)).toMatchObject({ ok: false, status: 400 });
  });

  it("strips the route prefix at a segment boundary", () => {
    expect(mapRequestPath("/static/a.css", "/static")).toMatchObject({
      ok: true,
      segments: ["a.css"],
    });
    expect(mapRequestPath("/static/a.css", "/static/")).toMatchObject({
      ok: true,
      segments: ["a.css"],
    });
    expect(mapRequestPath("/staticky", "/static")).toMatchObject({ ok: false, status: 404 });
    expect(mapRequestPath("/static", "/static")).toMatchObject({
      ok: true,
      segments: [],
      trailingSlash: false,
    });
  });
});

describe("Accept-Encoding and config", () => {
  it("orders codings by q, brotli first on ties, honouring q=0 and *", () => {
    expect(acceptableCodings("gzip, deflate, br")).toEqual(["br", "gzip"]);
    expect(acceptableCodings("gzip;q=1, br;q=0.9")).toEqual(["gzip", "br"]);
    expect(acceptableCodings("*;q=0.1, br;q=0")).toEqual(["gzip"]);
    expect(acceptableCodings("x-gzip")).toEqual(["gzip"]);
    expect(acceptableCodings(undefined)).toEqual([]);
    expect(acceptableCodings("identity")).toEqual([]);
  });

  it("applies defaults and refuses unknown keys", () => {
    expect(StaticRouteConfigSchema.parse({ dir: "/srv" })).toEqual({
      dir: "/srv",
      index: "index.html",
      precompressed: true,
      dotfiles: "ignore",
    });
    expect(StaticRouteConfigSchema.safeParse({ dir: "/srv", cachecontrol: "x" }).success).toBe(
      false,
    );
    expect(StaticRouteConfigSchema.safeParse({ dir: "" }).success).toBe(false);
    expect(StaticTargetSchema.parse({ kind: "static", dir: "/srv" }).kind).toBe("static");
    expect(StaticTargetSchema.safeParse({ kind: "proxy", dir: "/srv" }).success).toBe(false);
  });
});
