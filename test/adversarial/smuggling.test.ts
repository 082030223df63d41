/**
 * A framing and smuggling corpus sent to every route kind (handler group, static, proxy), each
 * case followed on the same connection by a marker request. Whatever the case's fate (refused,
 * answered, closed), a request smuggled inside it never reaches a handler or an upstream, no
 * response is ever split or doubled, and the frontend keeps serving.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { rawRequest, responses, startSuite, stillServing, type Suite } from "./harness.js";

const SMUGGLED = "GET /SMUGGLED HTTP/1.1\r\nHost: x\r\n\r\n";

/** [name, bytes before the marker]; `P` is replaced by the route's path. */
const CORPUS: Array<[string, string]> = [
  [
    "CL + TE",
    "POST P HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n" +
      SMUGGLED,
  ],
  [
    "TE + CL",
    "POST P HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 40\r\n\r\n0\r\n\r\n" +
      SMUGGLED,
  ],
  [
    "two Content-Length",
    "POST P HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nContent-Length: 37\r\n\r\n" + SMUGGLED,
  ],
  [
    "TE with a space before the colon",
    "POST P HTTP/1.1\r\nHost: x\r\nTransfer-Encoding : chunked\r\n\r\n0\r\n\r\n" + SMUGGLED,
  ],
  [
    "TE gzip, chunked last not",
    "POST P HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, gzip\r\n\r\n0\r\n\r\n" + SMUGGLED,
  ],
  [
    "TE xchunked",
    "POST P HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: xchunked\r\n\r\n0\r\n\r\n" + SMUGGLED,
  ],
  [
    "chunk size with junk",
    "POST P HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5;\x00\r\nhello\r\n0\r\n\r\n" +
      SMUGGLED,
  ],
  [
    "chunk size overflow",
    "POST P HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n10000000000000000\r\n" +
      SMUGGLED,
  ],
  [
    "bare LF in chunk",
    "POST P HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\nhello\n0\n\n" + SMUGGLED,
  ],
  [
    "obs-fold",
    "GET P HTTP/1.1\r\nHost: x\r\nX-A: 1\r\n Transfer-Encoding: chunked\r\n\r\n" + SMUGGLED,
  ],
  ["bare CR", "GET P HTTP/1.1\r\nHost: x\rX: y\r\n\r\n" + SMUGGLED],
  ["NUL in header", "GET P HTTP/1.1\r\nHost: x\r\nX-A: a\x00b\r\n\r\n" + SMUGGLED],
  ["two Host fields", "GET P HTTP/1.1\r\nHost: x\r\nHost: y\r\n\r\n" + SMUGGLED],
  [
    "HTTP/1.0 keep-alive body",
    "POST P HTTP/1.0\r\nHost: x\r\nConnection: keep-alive\r\nContent-Length: 37\r\n\r\n" + SMUGGLED,
  ],
  [
    "plain GET with a CL body",
    "GET P HTTP/1.1\r\nHost: x\r\nContent-Length: 37\r\n\r\n" + SMUGGLED,
  ],
  [
    "Expect 100-continue with the body",
    "POST P HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 37\r\n\r\n" + SMUGGLED,
  ],
];

const ROUTES: Array<[string, string]> = [
  ["handler", "/h/echo/c"],
  ["static", "/static/small.txt"],
  ["proxy", "/proxy/c"],
];

describe("framing and smuggling corpus across route kinds", () => {
  let suite: Suite;
  beforeAll(async () => {
    suite = await startSuite();
  });
  afterAll(() => suite.stop());

  for (const [kind, path] of ROUTES) {
    for (const [name, bytes] of CORPUS) {
      it(`${kind}: ${name}`, async () => {
        const marker = `GET ${path}?marker HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`;
        const r = await rawRequest(suite.port, bytes.replaceAll("P", path) + marker, {
          idleMs: 800,
        });
        // Nothing smuggled reached a handler or the upstream.
        expect(suite.handled.some((t) => t.includes("SMUGGLED"))).toBe(false);
        expect(suite.upstreamSeen.some((s) => s.url.includes("SMUGGLED"))).toBe(false);
        // Every response on the connection is whole and well-formed, one per request at most.
        const got = responses(r.data);
        expect(got.length).toBeLessThanOrEqual(2);
        for (const g of got) expect(g.status).toBeGreaterThanOrEqual(100);
        expect(r.data).not.toContain("SMUGGLED");
      });
    }
  }

  it("still serves every route kind", async () => {
    await stillServing(suite.port);
    for (const [, path] of ROUTES) {
      const r = await rawRequest(
        suite.port,
        `GET ${path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`,
      );
      expect(responses(r.data)[0]?.status).toBe(200);
    }
  });
});
