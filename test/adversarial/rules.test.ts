/**
 * The pure rules the edge applies: what a reply head says about its length
 * (frontend/http/reply-framing.ts) and what a request head may carry and how it is routed
 * (frontend/http/request-target.ts), with random inputs that must never throw.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { replyFraming } from "../../frontend/http/reply-framing.js";
import { checkRequestHead, hasDotSegment, validHost } from "../../frontend/http/request-target.js";

describe("reply framing", () => {
  it.each([
    [[["content-length", "5"]], 5, undefined],
    [
      [
        ["Content-Length", "5"],
        ["content-length", "5"],
      ],
      5,
      undefined,
    ],
    [[["content-length", "5, 5"]], 5, undefined],
    [[["transfer-encoding", "Chunked"]], undefined, undefined],
    [[], undefined, undefined],
  ] as const)("accepts %j", (headers, length, problem) => {
    expect(replyFraming(headers as never)).toEqual({ length, problem });
  });

  it.each([
    [["content-length", "abc"]],
    [["content-length", "-1"]],
    [["content-length", "1e3"]],
    [["content-length", ""]],
    [["content-length", "99999999999999999"]],
    [
      ["content-length", "5"],
      ["content-length", "6"],
    ],
    [["content-length", "5, 6"]],
    [["transfer-encoding", "gzip"]],
    [["transfer-encoding", "gzip, chunked"]],
    [
      ["transfer-encoding", "chunked"],
      ["transfer-encoding", "chunked"],
    ],
    [
      ["transfer-encoding", "chunked"],
      ["content-length", "5"],
    ],
  ])("refuses %j", (...headers) => {
    const framing = replyFraming(headers as never);
    expect(framing.problem).toBeDefined();
    expect(framing.length).toBeUndefined();
  });

  it("never throws on any header list", () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.tuple(fc.constantFrom("content-length", "transfer-encoding", "x"), fc.string()),
        ),
        (headers) => {
          replyFraming(headers);
        },
      ),
    );
  });
});

describe("request head rules", () => {
  it("knows uri-host from what is not", () => {
    for (const ok of [
      "a",
      "a.b",
      "a:1",
      "[::1]",
      "[::1]:8080",
      "[v1.x]",
      "%41b",
      "a-b_c~!$&'()*+,;=",
      "",
    ])
      expect(validHost(ok), ok).toBe(true);
    for (const bad of ["a/b", "a b", "u@h", "h?", "h#", "[::1", "a:b:c", "%4", "a\\b", "h:123456"])
      expect(validHost(bad), bad).toBe(false);
  });

  it("finds dot-segments however they are spelt", () => {
    for (const p of ["/..", "/a/../b", "/a/./b", "/%2e%2E/", "/a%2f..%2fb", "/a\\..\\b", "/.%2e"])
      expect(hasDotSegment(p), p).toBe(true);
    for (const p of ["/", "/a..b", "/.well-known/x", "/a/b.c", "/%2e%2ex", "/..."])
      expect(hasDotSegment(p), p).toBe(false);
  });

  it("routes absolute-form by its authority and drops the fragment", () => {
    expect(checkRequestHead("GET", "http://h:9/p?q#f", ["Host", "x"], "x")).toEqual({
      ok: true,
      url: "/p?q",
      path: "/p",
      host: "h:9",
      rewritten: true,
      absolute: "http://h:9/p?q",
    });
    expect(checkRequestHead("GET", "HTTPS://h", [], undefined)).toMatchObject({
      ok: true,
      url: "/",
      host: "h",
    });
  });

  it("never throws on any target or Host", () => {
    fc.assert(
      fc.property(fc.string(), fc.option(fc.string(), { nil: undefined }), (url, host) => {
        const v = checkRequestHead("GET", url, host === undefined ? [] : ["Host", host], host);
        if (v.ok) expect(v.url.includes("#")).toBe(false);
      }),
    );
  });
});
