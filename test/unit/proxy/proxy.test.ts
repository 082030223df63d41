import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createServer, type IncomingMessage, type ServerResponse, type Server } from "node:http";
import { connect, type AddressInfo } from "node:net";
import { createHash, randomBytes } from "node:crypto";
import { Readable } from "node:stream";
import { Agent, request } from "undici";
import {
  ProxyRouteConfigSchema,
  ProxyTargetSchema,
  UpstreamPools,
  createProxyHandler,
  type ProxyRouteInput,
} from "../../../frontend/proxy/index.js";
import { freePort } from "../../support/ports.js";
import { rawGet, rawRequest, serveHandler, type TestServer } from "../static/support.js";

/** Promise.withResolvers, which Node 20 lacks. */
function deferred<T>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

type Upstream = (req: IncomingMessage, res: ServerResponse) => void;

const pools = new UpstreamPools();
const proxy = createProxyHandler(pools);
const agent = new Agent();
const servers: TestServer[] = [];
let upstreamHandler: Upstream = (_req, res) => res.end("unset");
let upstream: Server;
let upstreamOrigin: string;
let upstreamConnections = 0;

async function mount(input: Partial<ProxyRouteInput> = {}): Promise<TestServer> {
  const route = ProxyRouteConfigSchema.parse({ upstream: upstreamOrigin, ...input });
  const s = await serveHandler((req, res) => proxy(req, res, route));
  servers.push(s);
  return s;
}

/** Echoes what the upstream received, as JSON. */
const echo: Upstream = (req, res) => {
  const chunks: Buffer[] = [];
  req.on("data", (c: Buffer) => chunks.push(c));
  req.on("end", () => {
    res.setHeader("content-type", "application/json");
    res.end(
      JSON.stringify({
        method: req.method,
        url: req.url,
        rawHeaders: req.rawHeaders,
        body: Buffer.concat(chunks).toString(),
      }),
    );
  });
};

beforeAll(async () => {
  upstream = createServer((req, res) => upstreamHandler(req, res));
  upstream.on("connection", () => upstreamConnections++);
  await new Promise<void>((resolve) => upstream.listen(0, "127.0.0.1", resolve));
  upstreamOrigin = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
});

afterEach(() => {
  upstreamHandler = echo;
});

afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
  await pools.close();
  await agent.close();
  upstream.closeAllConnections();
  await new Promise((resolve) => upstream.close(resolve));
});

async function call(origin: string, path: string, opts: Parameters<typeof request>[1] = {}) {
  const res = await request(`${origin}${path}`, { dispatcher: agent, ...opts });
  const body = Buffer.from(await res.body.arrayBuffer());
  return { status: res.statusCode, headers: res.headers, body, text: body.toString() };
}

function headerValues(rawHeaders: string[], name: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < rawHeaders.length; i += 2) {
    if (rawHeaders[i]?.toLowerCase() === name) out.push(rawHeaders[i + 1] ?? "");
  }
  return out;
}

describe("proxy: forwarding", () => {
  it("forwards method, path, query and body; maps stripPrefix onto the upstream's base path", async () => {
    upstreamHandler = echo;
    const plain = await mount();
    const r1 = JSON.parse((await call(plain.origin, "/a/b?x=1&y=%20")).text);
    expect(r1).toMatchObject({ method: "GET", url: "/a/b?x=1&y=%20", body: "" });
    const mounted = await mount({ upstream: `${upstreamOrigin}/v2/`, stripPrefix: "/api" });
    const r2 = JSON.parse(
      (await call(mounted.origin, "/api/users?id=7", { method: "PUT", body: "payload" })).text,
    );
    expect(r2).toMatchObject({ method: "PUT", url: "/v2/users?id=7", body: "payload" });
    expect(JSON.parse((await call(mounted.origin, "/api")).text).url).toBe("/v2/");
  });

  it("sets X-Forwarded-*, drops hop-by-hop fields, keeps repeated fields", async () => {
    upstreamHandler = echo;
    const s = await mount();
    // Raw bytes: HTTP clients refuse to send some of these hop-by-hop fields themselves.
    const r = await rawRequest(
      s.port,
      [
        "GET /h HTTP/1.1",
        "Host: public.example:8443",
        "X-Forwarded-For: 203.0.113.9",
        "X-Forwarded-Proto: spoofed",
        "Connection: close, x-private",
        "X-Private: secret",
        "Keep-Alive: timeout=5",
        "TE: trailers",
        "Proxy-Authorization: Basic Zm9vOmJhcg==",
        "X-Multi: one",
        "X-Multi: two",
        "",
        "",
      ].join("\r\n"),
    );
    const raw = JSON.parse(r.body.toString()).rawHeaders as string[];
    expect(headerValues(raw, "x-forwarded-for")).toEqual(["203.0.113.9, 127.0.0.1"]);
    expect(headerValues(raw, "x-forwarded-proto")).toEqual(["http"]);
    expect(headerValues(raw, "x-forwarded-host")).toEqual(["public.example:8443"]);
    expect(headerValues(raw, "host")).toEqual([new URL(upstreamOrigin).host]);
    expect(headerValues(raw, "x-multi")).toEqual(["one", "two"]);
    for (const gone of ["x-private", "keep-alive", "te", "proxy-authorization"]) {
      expect(headerValues(raw, gone), gone).toEqual([]);
    }
  });

  it("passes response status and headers back, minus hop-by-hop fields", async () => {
    upstreamHandler = (_req, res) => {
      res.writeHead(
        201,
        [
          ["Set-Cookie", "a=1"],
          ["Set-Cookie", "b=2"],
          ["Connection", "x-internal"],
          ["X-Internal", "no"],
          ["Keep-Alive", "timeout=5"],
          ["X-App", "yes"],
          ["Content-Length", "7"],
        ].flat(),
      );
      res.end("created");
    };
    const s = await mount();
    const r = await call(s.origin, "/c");
    expect(r.status).toBe(201);
    expect(r.text).toBe("created");
    expect(r.headers["set-cookie"]).toEqual(["a=1", "b=2"]);
    expect(r.headers["x-app"]).toBe("yes");
    expect(r.headers["x-internal"]).toBeUndefined();
    expect(r.headers["content-length"]).toBe("7");
  });

  it("passes HEAD, 204 and 304 through without bodies", async () => {
    upstreamHandler = (req, res) => {
      if (req.url === "/204") res.writeHead(204).end();
      else if (req.url === "/304") res.writeHead(304, { etag: '"x"' }).end();
      else
        res
          .writeHead(200, { "content-length": "11" })
          .end(req.method === "HEAD" ? undefined : "hello world");
    };
    const s = await mount();
    const head = await call(s.origin, "/h", { method: "HEAD" });
    expect(head.status).toBe(200);
    expect(head.headers["content-length"]).toBe("11");
    expect(head.body.length).toBe(0);
    expect((await call(s.origin, "/204")).status).toBe(204);
    const notModified = await call(s.origin, "/304");
    expect(notModified.status).toBe(304);
    expect(notModified.headers["etag"]).toBe('"x"');
  });

  it("reuses keep-alive connections to the upstream", async () => {
    upstreamHandler = echo;
    const s = await mount();
    await call(s.origin, "/warm");
    const before = upstreamConnections;
    for (let i = 0; i < 20; i++) await call(s.origin, `/k${i}`);
    expect(upstreamConnections - before).toBe(0);
  });
});

describe("proxy: streaming", () => {
  it("streams a request body up before the client has finished sending it", async () => {
    const firstChunkSeen = deferred<void>();
    upstreamHandler = (req, res) => {
      const hash = createHash("sha256");
      let bytes = 0;
      req.on("data", (c: Buffer) => {
        if (bytes === 0) firstChunkSeen.resolve();
        bytes += c.length;
        hash.update(c);
      });
      req.on("end", () => res.end(JSON.stringify({ bytes, sha256: hash.digest("hex") })));
    };
    const s = await mount();
    const payload = randomBytes(4 * 1024 * 1024);
    async function* body() {
      yield payload.subarray(0, 65536);
      await firstChunkSeen.promise; // the upstream has bytes while the client still holds the rest
      for (let off = 65536; off < payload.length; off += 65536)
        yield payload.subarray(off, off + 65536);
    }
    const r = await call(s.origin, "/up", { method: "POST", body: Readable.from(body()) });
    expect(JSON.parse(r.text)).toEqual({
      bytes: payload.length,
      sha256: createHash("sha256").update(payload).digest("hex"),
    });
  });

  it("streams a response body down before the upstream has finished it", async () => {
    const release = deferred<void>();
    upstreamHandler = (_req, res) => {
      res.writeHead(200, { "content-type": "text/plain" });
      res.write("first;");
      void release.promise.then(() => res.end("last"));
    };
    const s = await mount();
    const res = await request(`${s.origin}/down`, { dispatcher: agent });
    const chunks: string[] = [];
    for await (const chunk of res.body) {
      chunks.push(String(chunk));
      if (chunks.length === 1) release.resolve();
    }
    expect(chunks[0]).toBe("first;");
    expect(chunks.join("")).toBe("first;last");
  });

  it("cuts the client off when the upstream dies mid-body", async () => {
    upstreamHandler = (req, res) => {
      res.writeHead(200, { "content-length": "1000" });
      res.write("partial");
      setImmediate(() => req.socket.destroy());
    };
    const s = await mount();
    await expect(call(s.origin, "/dies")).rejects.toThrow();
  });

  it("aborts the upstream request when the client leaves mid-upload", async () => {
    const upstreamGone = deferred<boolean>();
    const gotBytes = deferred<void>();
    upstreamHandler = (req) => {
      req.once("data", () => gotBytes.resolve());
      req.on("close", () => upstreamGone.resolve(req.complete));
    };
    const s = await mount();
    const socket = connect(s.port, "127.0.0.1");
    socket.on("error", () => {});
    socket.write("POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000\r\n\r\n");
    socket.write(Buffer.alloc(64 * 1024, 1));
    await gotBytes.promise;
    socket.destroy();
    expect(await upstreamGone.promise).toBe(false);
    // The proxy is still healthy.
    upstreamHandler = echo;
    expect((await call(s.origin, "/after")).status).toBe(200);
  });

  it("aborts the upstream exchange when the client leaves", async () => {
    const upstreamClosed = deferred<void>();
    upstreamHandler = (_req, res) => {
      res.writeHead(200);
      res.write("tick");
      res.on("close", () => upstreamClosed.resolve());
    };
    const s = await mount();
    const res = await request(`${s.origin}/leave`, { dispatcher: agent });
    for await (const _chunk of res.body) break;
    await upstreamClosed.promise;
  });
});

describe("proxy: failures", () => {
  it("502 FERRY_UPSTREAM_ERROR when nothing listens upstream", async () => {
    const s = await mount({ upstream: `http://127.0.0.1:${await freePort()}` });
    for (const method of ["GET", "POST"] as const) {
      const r = await call(s.origin, "/down", { method, body: method === "POST" ? "data" : null });
      expect(r.status, method).toBe(502);
      expect(r.headers["x-ferry-error"]).toBe("FERRY_UPSTREAM_ERROR");
      expect(JSON.parse(r.text)).toMatchObject({ error: { code: "FERRY_UPSTREAM_ERROR" } });
    }
  });

  it("502 when the upstream answers with something that is not HTTP", async () => {
    const { createServer: createTcp } = await import("node:net");
    const junk = createTcp((socket) => socket.end("SSH-2.0-OpenSSH\r\n\r\n"));
    await new Promise<void>((resolve) => junk.listen(0, "127.0.0.1", resolve));
    try {
      const s = await mount({
        upstream: `http://127.0.0.1:${(junk.address() as AddressInfo).port}`,
      });
      const r = await rawGet(s.port, "/junk");
      expect(r.status).toBe(502);
    } finally {
      junk.close();
    }
  });

  it("504 FERRY_UPSTREAM_TIMEOUT when the upstream is slow to answer", async () => {
    const arrived = deferred<ServerResponse>();
    upstreamHandler = (_req, res) => arrived.resolve(res);
    const s = await mount({ timeouts: { headers: 200 } });
    const started = Date.now();
    const r = await call(s.origin, "/slow");
    expect(r.status).toBe(504);
    expect(r.headers["x-ferry-error"]).toBe("FERRY_UPSTREAM_TIMEOUT");
    expect(JSON.parse(r.text)).toMatchObject({ error: { code: "FERRY_UPSTREAM_TIMEOUT" } });
    expect(Date.now() - started).toBeLessThan(5_000);
    (await arrived.promise).end();
  });

  it("refuses bad route configs", () => {
    expect(ProxyRouteConfigSchema.safeParse({ upstream: "ftp://x" }).success).toBe(false);
    expect(ProxyTargetSchema.parse({ kind: "proxy", upstream: "http://[::1]:8080/" }).kind).toBe(
      "proxy",
    );
    expect(ProxyRouteConfigSchema.safeParse({ upstream: "not a url" }).success).toBe(false);
    expect(ProxyRouteConfigSchema.safeParse({ upstream: "http://a", timeout: 1 }).success).toBe(
      false,
    );
    expect(ProxyRouteConfigSchema.parse({ upstream: "http://127.0.0.1:1" })).toMatchObject({
      timeouts: { connect: 5000, headers: 30000, body: 60000 },
      connections: 64,
    });
  });
});
