import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createServer, type Server } from "node:https";
import {
  createServer as createHttpServer,
  type IncomingMessage,
  type ServerResponse,
} from "node:http";
import { connect } from "node:tls";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { AddressInfo } from "node:net";
import { Agent, request } from "undici";
import {
  TlsConfigError,
  TlsConfigSchema,
  loadTlsServerOptions,
  matchServerName,
  type TlsInput,
} from "../../../frontend/tls/index.js";
import {
  ProxyRouteConfigSchema,
  UpstreamPools,
  createProxyHandler,
} from "../../../frontend/proxy/index.js";
import { tempDir } from "../../support/tmp.js";
import { makeCertificate, type GeneratedCertificate } from "./certificates.js";

const tmp = tempDir("ferry-tls-");
let main: GeneratedCertificate;
let hostA: GeneratedCertificate;
let wildcard: GeneratedCertificate;
const servers: Server[] = [];

async function listen(
  input: TlsInput,
  app: (req: IncomingMessage, res: ServerResponse) => void,
): Promise<number> {
  const server = createServer(await loadTlsServerOptions(TlsConfigSchema.parse(input)), app);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return (server.address() as AddressInfo).port;
}

/** The CN of the certificate the server presents for `servername` (or no SNI at all). */
function presentedName(port: number, servername?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(
      { port, host: "127.0.0.1", servername, rejectUnauthorized: false },
      () => {
        const cn = socket.getPeerCertificate().subject?.CN;
        socket.end();
        resolve(String(cn));
      },
    );
    socket.on("error", reject);
  });
}

beforeAll(() => {
  main = makeCertificate(tmp.path, "default.test");
  hostA = makeCertificate(tmp.path, "a.test");
  wildcard = makeCertificate(tmp.path, "wild.test", ["*.wild.test"]);
});

afterAll(async () => {
  for (const s of servers) s.closeAllConnections();
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  tmp.cleanup();
});

const hello = (req: IncomingMessage, res: ServerResponse) =>
  res.end(`hello over ${(req.socket as { encrypted?: boolean }).encrypted ? "tls" : "tcp"}`);

describe("tls: listener options", () => {
  it("serves HTTPS to a client that trusts the generated certificate", async () => {
    const port = await listen({ key: main.key, cert: main.cert }, hello);
    const agent = new Agent({
      connect: { ca: readFileSync(main.cert), servername: "default.test" },
    });
    try {
      const res = await request(`https://127.0.0.1:${port}/`, { dispatcher: agent });
      expect(res.statusCode).toBe(200);
      expect(await res.body.text()).toBe("hello over tls");
    } finally {
      await agent.close();
    }
  });

  it("refuses a client that does not trust it", async () => {
    const port = await listen({ key: main.key, cert: main.cert }, hello);
    const agent = new Agent();
    try {
      await expect(request(`https://127.0.0.1:${port}/`, { dispatcher: agent })).rejects.toThrow();
    } finally {
      await agent.close();
    }
  });

  it("picks the certificate by SNI: exact, wildcard, else the default", async () => {
    const port = await listen(
      {
        key: main.key,
        cert: main.cert,
        sni: { "A.test": hostA, "*.wild.test": wildcard },
      },
      hello,
    );
    expect(await presentedName(port, "a.test")).toBe("a.test");
    expect(await presentedName(port, "A.TEST")).toBe("a.test");
    expect(await presentedName(port, "x.wild.test")).toBe("wild.test");
    expect(await presentedName(port, "wild.test")).toBe("default.test");
    expect(await presentedName(port, "deep.x.wild.test")).toBe("default.test");
    expect(await presentedName(port, "unknown.test")).toBe("default.test");
    expect(await presentedName(port)).toBe("default.test");
    // And a full HTTPS exchange through the SNI certificate, verified against it.
    const agent = new Agent({ connect: { ca: readFileSync(hostA.cert), servername: "a.test" } });
    try {
      const res = await request(`https://127.0.0.1:${port}/`, { dispatcher: agent });
      expect(await res.body.text()).toBe("hello over tls");
    } finally {
      await agent.close();
    }
  });

  it("tells a proxied upstream the client came over https", async () => {
    const upstream = createHttpServer((req, res) =>
      res.end(String(req.headers["x-forwarded-proto"])),
    );
    await new Promise<void>((resolve) => upstream.listen(0, "127.0.0.1", resolve));
    const pools = new UpstreamPools();
    const proxy = createProxyHandler(pools);
    const route = ProxyRouteConfigSchema.parse({
      upstream: `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`,
    });
    const port = await listen(
      { key: main.key, cert: main.cert },
      (req, res) => void proxy(req, res, route),
    );
    const agent = new Agent({
      connect: { ca: readFileSync(main.cert), servername: "default.test" },
    });
    try {
      const res = await request(`https://127.0.0.1:${port}/`, { dispatcher: agent });
      expect(await res.body.text()).toBe("https");
    } finally {
      await agent.close();
      await pools.close();
      upstream.closeAllConnections();
      upstream.close();
    }
  });
});

describe("tls: config errors", () => {
  it("names the missing file and its config path", async () => {
    const config = TlsConfigSchema.parse({
      key: main.key,
      cert: main.cert,
      sni: { "a.test": { key: hostA.key, cert: join(tmp.path, "missing.crt") } },
    });
    const err = await loadTlsServerOptions(config).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TlsConfigError);
    expect(err).toMatchObject({ code: "FERRY_TLS_FILE", path: 'tls.sni["a.test"].cert' });
    expect((err as Error).message).toContain("missing.crt");
  });

  it("refuses a key that does not match its certificate, and garbage PEM", async () => {
    const mismatch = TlsConfigSchema.parse({ key: hostA.key, cert: main.cert });
    await expect(loadTlsServerOptions(mismatch, "listeners[0].tls")).rejects.toMatchObject({
      code: "FERRY_TLS_CREDENTIALS",
      path: "listeners[0].tls",
    });
    const junk = join(tmp.path, "junk.pem");
    writeFileSync(junk, "not a pem file");
    const bad = TlsConfigSchema.parse({
      key: main.key,
      cert: main.cert,
      sni: { "b.test": { key: junk, cert: junk } },
    });
    await expect(loadTlsServerOptions(bad)).rejects.toMatchObject({
      code: "FERRY_TLS_CREDENTIALS",
      path: 'tls.sni["b.test"]',
    });
  });

  it("validates the config shape", () => {
    expect(TlsConfigSchema.safeParse({ key: "k" }).success).toBe(false);
    expect(
      TlsConfigSchema.safeParse({
        key: "k",
        cert: "c",
        sni: { "bad name!": { key: "k", cert: "c" } },
      }).success,
    ).toBe(false);
    expect(TlsConfigSchema.safeParse({ key: "k", cert: "c", extra: 1 }).success).toBe(false);
    expect(TlsConfigSchema.parse({ key: "k", cert: "c" })).toEqual({
      key: "k",
      cert: "c",
      sni: {},
      minVersion: "TLSv1.2",
    });
  });

  it("matches server names exactly or by one-label wildcard", () => {
    const table = new Map([
      ["a.test", 1],
      ["*.w.test", 2],
    ]);
    expect(matchServerName("a.test", table)).toBe(1);
    expect(matchServerName("A.Test.", table)).toBe(1);
    expect(matchServerName("x.w.test", table)).toBe(2);
    expect(matchServerName("w.test", table)).toBeUndefined();
    expect(matchServerName("y.x.w.test", table)).toBeUndefined();
    expect(matchServerName("", table)).toBeUndefined();
  });
});
