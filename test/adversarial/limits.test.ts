/**
 * The protocol's limits (1,000 header pairs, 65,536-byte strings, 64 MiB bins) are checked before
 * anything is encoded, on every route kind and way in (plain, body to read first, streamed body,
 * WebSocket upgrade): past them a stable 4xx, and the frontend goes on serving. Config values
 * cannot exceed what the protocol carries.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { validateConfig } from "../../frontend/config/validate.js";
import { ConfigError } from "../../frontend/errors.js";
import { rawRequest, responses, startSuite, stillServing, type Suite } from "./harness.js";

const fields = (n: number) => Array.from({ length: n }, (_, i) => `X-F${i}: v\r\n`).join("");

function head(method: string, path: string, extra: string): string {
  return `${method} ${path} HTTP/1.1\r\nHost: x\r\n${extra}Connection: close\r\n\r\n`;
}

const UPGRADE =
  "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n" +
  "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n";

describe("protocol limits at the edge", () => {
  let suite: Suite;
  beforeAll(async () => {
    suite = await startSuite({ limits: { headerBytes: 65_536 }, group: { inlineBodyLimit: 16 } });
  });
  afterAll(() => suite.stop());

  const cases: Array<[string, string]> = [
    ["handler route", head("GET", "/h/echo", fields(1000))],
    [
      "handler route, body read first",
      head("POST", "/h/echo", fields(1000) + "Content-Length: 5\r\n") + "hello",
    ],
    [
      "handler route, streamed body",
      head("POST", "/h/echo", fields(1000) + "Content-Length: 64\r\n") + "x".repeat(64),
    ],
    ["static route", head("GET", "/static/small.txt", fields(1000))],
    ["proxy route", head("GET", "/proxy/p", fields(1000))],
    ["WebSocket upgrade", `GET /h/echo HTTP/1.1\r\nHost: x\r\n${UPGRADE}${fields(1000)}\r\n`],
    ["3,000 fields (past node's own count)", head("GET", "/h/echo", fields(2999))],
  ];
  for (const [name, bytes] of cases) {
    it(`refuses 1,001 header fields with 431 FERRY_HEADERS_TOO_LARGE: ${name}`, async () => {
      const handled = suite.handled.length;
      const seen = suite.upstreamSeen.length;
      const r = await rawRequest(suite.port, bytes);
      const [first] = responses(r.data);
      expect(first?.head).toMatch(/^HTTP\/1\.1 431 Request Header Fields Too Large\r\n/);
      expect(first?.head).toMatch(/\r\nx-ferry-error: FERRY_HEADERS_TOO_LARGE\r\n/);
      expect(suite.handled.length).toBe(handled);
      expect(suite.upstreamSeen.length).toBe(seen);
      await stillServing(suite.port);
    });
  }

  it("takes exactly 1,000 header fields", async () => {
    const r = await rawRequest(suite.port, head("GET", "/h/echo", fields(998)));
    const [first] = responses(r.data);
    expect(first?.status).toBe(200);
    expect(JSON.parse(first!.body)).toMatchObject({ headers: 1000 });
  });

  it("refuses a field longer than a protocol string once encoded (latin1 bytes double in UTF-8)", async () => {
    const value = Buffer.alloc(40_000, 0xe9);
    const bytes = Buffer.concat([
      Buffer.from("GET /h/echo HTTP/1.1\r\nHost: x\r\nX-Big: "),
      value,
      Buffer.from("\r\nConnection: close\r\n\r\n"),
    ]);
    const handled = suite.handled.length;
    const r = await rawRequest(suite.port, bytes);
    expect(responses(r.data)[0]?.status).toBe(431);
    expect(suite.handled.length).toBe(handled);
    await stillServing(suite.port);
  });

  it("refuses a target longer than a protocol string once encoded", async () => {
    const bytes = Buffer.concat([
      Buffer.from("GET /h/echo/"),
      Buffer.alloc(40_000, 0xe9),
      Buffer.from(" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"),
    ]);
    const handled = suite.handled.length;
    const r = await rawRequest(suite.port, bytes);
    const status = responses(r.data)[0]?.status ?? 0;
    // node:http may refuse the bytes itself (400); past it, the frontend answers 414.
    expect([400, 414]).toContain(status);
    expect(suite.handled.length).toBe(handled);
    await stillServing(suite.port);
  });
});

describe("config values the protocol can carry", () => {
  const base = {
    listeners: [{ port: 1 }],
    hosts: [{ names: ["*"], routes: [{ path: "/", target: { kind: "handler", group: "g" } }] }],
    groups: {
      g: {
        requests: "tcp://127.0.0.1:1",
        replies: "tcp://127.0.0.1:2",
        events: "tcp://127.0.0.1:3",
      },
    },
  };
  type Raw = typeof base & { limits?: Record<string, number> } & {
    groups: { g: Record<string, unknown> };
  };
  function problems(patch: (c: Raw) => void): string[] {
    const raw = JSON.parse(JSON.stringify(base)) as Raw;
    patch(raw);
    try {
      validateConfig(raw);
      return [];
    } catch (err) {
      return (err as ConfigError).problems.map((p) => p.path);
    }
  }

  it("caps limits.headerBytes at a protocol string", () => {
    expect(problems((c) => (c.limits = { headerBytes: 65_537 }))).toContain("limits.headerBytes");
    expect(problems((c) => (c.limits = { headerBytes: 65_536 }))).toEqual([]);
  });

  it("caps inlineBodyLimit and responseWindow at a protocol bin", () => {
    const big = 64 * 1024 * 1024 + 1;
    expect(
      problems((c) => {
        c.limits = { bodyBytes: 2 ** 40 };
        c.groups.g.inlineBodyLimit = big;
        c.groups.g.responseWindow = big;
      }),
    ).toEqual(expect.arrayContaining(["groups.g.inlineBodyLimit", "groups.g.responseWindow"]));
  });

  it("caps every time at what a node timer can hold", () => {
    expect(problems((c) => (c.groups.g.timeout = 2 ** 31))).toContain("groups.g.timeout");
    expect(problems((c) => (c.limits = { bodyIdleMs: 2 ** 31 }))).toContain("limits.bodyIdleMs");
  });

  it("caps a route path, which every request to it carries", () => {
    expect(problems((c) => (c.hosts[0]!.routes[0]!.path = `/${"a".repeat(70_000)}`))).toContain(
      "hosts[0].routes[0].path",
    );
  });

  it("bounds pipelineDepth", () => {
    expect(problems((c) => (c.limits = { pipelineDepth: 0 }))).toContain("limits.pipelineDepth");
    expect(problems((c) => (c.limits = { pipelineDepth: 100_000 }))).toContain(
      "limits.pipelineDepth",
    );
  });
});
