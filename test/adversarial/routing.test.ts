/**
 * Host and request-target cannot steer routing: Host is `uri-host [":" port]` or 400
 * FERRY_BAD_HOST; an absolute-form target is routed by its own authority (RFC 9112 §3.2.2) with
 * its path passed on; a `#fragment` never reaches a handler or an upstream; dot-segments, plain or
 * encoded, are refused before any route (a proxy would pass them upstream).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { rawRequest, responses, startSuite, stillServing, type Suite } from "./harness.js";

function request(target: string, host: string | undefined, method = "GET"): string {
  return (
    `${method} ${target} HTTP/1.1\r\n` +
    (host === undefined ? "" : `Host: ${host}\r\n`) +
    "Connection: close\r\n\r\n"
  );
}

describe("host and target", () => {
  let suite: Suite;
  beforeAll(async () => {
    suite = await startSuite();
  });
  afterAll(() => suite.stop());

  async function ask(target: string, host: string | undefined, method = "GET") {
    const r = await rawRequest(suite.port, request(target, host, method));
    const [first] = responses(r.data);
    return { status: first?.status ?? 0, head: first?.head ?? "", body: first?.body ?? "" };
  }

  for (const host of ["h/admin/secret?", "a/b", "u@evil", "x:80/y", "a\\b", "[::1", "h?x", "h#f"]) {
    it(`refuses Host ${JSON.stringify(host)} with 400 FERRY_BAD_HOST, on every route kind`, async () => {
      for (const path of ["/h/echo", "/static/small.txt", "/proxy/p"]) {
        const r = await ask(path, host);
        expect(r.status, path).toBe(400);
        expect(r.head).toMatch(/\r\nx-ferry-error: FERRY_BAD_HOST\r\n/);
      }
    });
  }

  it("refuses a Host with a space inside it", async () => {
    expect((await ask("/h/echo", "a b")).status).toBe(400);
  });

  for (const host of [
    "example.com",
    "example.com:8080",
    "127.0.0.1:1",
    "[::1]:80",
    "xn--bcher-kva.example",
    "",
  ]) {
    it(`accepts Host ${JSON.stringify(host)}`, async () => {
      expect((await ask("/h/echo", host)).status).toBe(200);
    });
  }

  it("routes an absolute-form target by its authority, and passes its path", async () => {
    // "other.test" is a host whose only route is a static directory: the Host field says "x".
    const r = await ask("http://other.test:9090/small.txt", "x");
    expect(r.status).toBe(200);
    expect(r.body).toBe("small file\n");
    const h = await ask("http://x:9090/h/echo/abs/p?q=1", "other.test");
    expect(h.status).toBe(200);
    const seen = JSON.parse(h.body) as {
      path: string;
      query: string;
      host: string;
      target: string;
    };
    expect(seen.path).toBe("/h/echo/abs/p");
    expect(seen.query).toBe("q=1");
    expect(seen.host).toBe("x:9090");
    // `target` is what the client sent (SPEC: request-target as received, without a fragment).
    expect(seen.target).toBe("http://x:9090/h/echo/abs/p?q=1");
  });

  it("passes an absolute-form target's path to a proxy upstream, with the authority as host", async () => {
    const before = suite.upstreamSeen.length;
    const r = await ask("http://x:9090/proxy/abs/p", "other.test");
    expect(r.body).toBe("upstream /abs/p 0");
    expect(suite.upstreamSeen[before]?.url).toBe("/abs/p");
  });

  it("refuses an absolute-form target with a bad authority", async () => {
    const r = await ask("http://u@evil/h/echo", "x");
    expect(r.status).toBe(400);
    expect(r.head).toMatch(/FERRY_BAD_HOST/);
  });

  it("strips a #fragment from target, path and query", async () => {
    const h = await ask("/h/echo/frag?a=1#sec?tion", "x");
    const seen = JSON.parse(h.body) as { path: string; query: string; target: string };
    expect(seen).toMatchObject({ path: "/h/echo/frag", query: "a=1", target: "/h/echo/frag?a=1" });
    const before = suite.upstreamSeen.length;
    await ask("/proxy/frag#/../secret", "x");
    expect(suite.upstreamSeen[before]?.url).toBe("/frag");
  });

  for (const target of [
    "/proxy/../secret",
    "/proxy/%2e%2e/secret",
    "/proxy/%2E%2e/secret",
    "/proxy/.%2e/secret",
    "/proxy/./x",
    "/proxy/a/..",
    "/proxy/a%2f..%2fsecret",
    "/proxy/a\\..\\secret",
    "/h/echo/../../static/small.txt",
    "/static/../static/small.txt",
  ]) {
    it(`refuses dot-segments in ${target} (400 FERRY_BAD_TARGET), nothing reaches a handler or upstream`, async () => {
      const seen = suite.upstreamSeen.length;
      const handled = suite.handled.length;
      const r = await ask(target, "x");
      expect(r.status).toBe(400);
      expect(r.head).toMatch(/\r\nx-ferry-error: FERRY_BAD_TARGET\r\n/);
      expect(suite.upstreamSeen.length).toBe(seen);
      expect(suite.handled.length).toBe(handled);
    });
  }

  it("keeps dots that are not whole segments, and anything in the query", async () => {
    const r = await ask("/h/echo/a..b/.well-known/x.y?p=../..", "x");
    expect(r.status).toBe(200);
  });

  it("refuses targets that are not origin- or absolute-form, and * outside OPTIONS", async () => {
    expect((await ask("ftp://x/h/echo", "x")).status).toBe(400);
    expect((await ask("*", "x")).status).toBe(400);
    expect((await ask("*", "x", "OPTIONS")).status).not.toBe(400);
  });

  it("checks a WebSocket upgrade's Host and target like any request", async () => {
    const upgrade =
      "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n" +
      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n";
    const handled = suite.handled.length;
    const badHost = await rawRequest(suite.port, `GET /h/echo HTTP/1.1\r\nHost: a/b\r\n${upgrade}`);
    expect(responses(badHost.data)[0]?.head).toMatch(/^HTTP\/1\.1 400 [^]*FERRY_BAD_HOST/);
    const dots = await rawRequest(suite.port, `GET /h/%2e%2e/x HTTP/1.1\r\nHost: x\r\n${upgrade}`);
    expect(responses(dots.data)[0]?.head).toMatch(/^HTTP\/1\.1 400 [^]*FERRY_BAD_TARGET/);
    expect(suite.handled.length).toBe(handled);
  });

  it("still serves", async () => {
    await stillServing(suite.port);
  });
});
