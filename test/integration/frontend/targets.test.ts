/**
 * Every kind of route target through the real `ferry frontend`: a static directory (conditional
 * and range requests), a proxied upstream (and 502 when it is down), and an HTTPS listener whose
 * requests reach a real handler, which sees the `https` scheme, and whose certificate SIGHUP
 * renews without a restart.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { request as httpsRequest } from "node:https";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePorts } from "../../support/ports.js";
import { startFerry, stopAll, type Proc } from "../../support/processes.js";
import type { TLSSocket } from "node:tls";
import { tempDir } from "../../support/tmp.js";
import { endpointsFor } from "./harness.js";

const tmp = tempDir();
let upstream: Server;
let http: string;
let httpsPort: number;
let frontend: Proc;

function makeCert(dir: string, cn: string): void {
  execFileSync(
    "openssl",
    ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
      .concat(["-keyout", join(dir, "key.pem"), "-out", join(dir, "cert.pem")])
      .concat(["-days", "1", "-subj", `/CN=${cn}`]),
    { stdio: "ignore" },
  );
}

/** The CN of the certificate the HTTPS listener presents to a new connection. */
function servedCn(): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      { host: "127.0.0.1", port: httpsPort, path: "/", rejectUnauthorized: false, agent: false },
      (res) => {
        const cert = (res.socket as TLSSocket).getPeerCertificate();
        res.resume();
        res.on("end", () => resolve(String(cert.subject?.CN)));
      },
    );
    req.on("error", reject);
    req.end();
  });
}

function httpsGet(path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      { host: "127.0.0.1", port: httpsPort, path, rejectUnauthorized: false },
      (res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (c: string) => (body += c));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on("error", reject);
    req.end();
  });
}

beforeAll(async () => {
  const dir = tmp.path;
  mkdirSync(join(dir, "public"));
  writeFileSync(join(dir, "public", "file.txt"), "0123456789");
  makeCert(dir, "localhost");
  writeFileSync(
    join(dir, "app.mjs"),
    "export default { fetch: (r) => new Response(new URL(r.url).protocol) };\n",
  );
  const [httpPort, tlsPort, upstreamPort, deadPort] = (await freePorts(4)) as [
    number,
    number,
    number,
    number,
  ];
  httpsPort = tlsPort;
  upstream = createServer((req, res) => {
    res.end(`upstream ${req.url} proto=${String(req.headers["x-forwarded-proto"])}`);
  });
  await new Promise<void>((r) => upstream.listen(upstreamPort, "127.0.0.1", r));
  const endpoints = await endpointsFor("ipc", dir);
  const config = {
    listeners: [
      { host: "127.0.0.1", port: httpPort },
      {
        host: "127.0.0.1",
        port: tlsPort,
        tls: { key: join(dir, "key.pem"), cert: join(dir, "cert.pem") },
      },
    ],
    hosts: [
      {
        names: ["*"],
        routes: [
          { path: "/", target: { kind: "handler", group: "default" } },
          { path: "/static", target: { kind: "static", dir: join(dir, "public") } },
          {
            path: "/api",
            target: {
              kind: "proxy",
              upstream: `http://127.0.0.1:${upstreamPort}`,
              stripPrefix: "/api",
            },
          },
          { path: "/down", target: { kind: "proxy", upstream: `http://127.0.0.1:${deadPort}` } },
        ],
      },
    ],
    groups: { default: endpoints },
  };
  const file = join(dir, "ferry.json");
  writeFileSync(file, JSON.stringify(config));
  frontend = startFerry(["frontend", "--config", file]);
  await frontend.waitFor(/"address":"https:/);
  const connect = `${endpoints.requests},${endpoints.replies},${endpoints.events}`;
  const handler = startFerry(["handler", join(dir, "app.mjs"), "--connect", connect]);
  await handler.waitFor(/frontend connected/);
  http = `http://127.0.0.1:${httpPort}`;
}, 30_000);

afterAll(async () => {
  await stopAll();
  await new Promise((r) => upstream.close(r));
  tmp.cleanup();
});

describe("route targets through the frontend", () => {
  it("static: a file, then 304 for its ETag, then a range", async () => {
    const first = await fetch(`${http}/static/file.txt`);
    expect(first.status).toBe(200);
    expect(await first.text()).toBe("0123456789");
    const etag = first.headers.get("etag");
    expect(etag).toBeTruthy();
    const again = await fetch(`${http}/static/file.txt`, { headers: { "if-none-match": etag! } });
    expect(again.status).toBe(304);
    const range = await fetch(`${http}/static/file.txt`, { headers: { range: "bytes=2-4" } });
    expect(range.status).toBe(206);
    expect(await range.text()).toBe("234");
  });

  it("static: no way out of the root", async () => {
    const res = await fetch(`${http}/static/..%2f..%2fferry.json`);
    expect([400, 404]).toContain(res.status);
    expect(await res.text()).not.toContain("listeners");
  });

  it("proxy: forwarded with the prefix stripped and X-Forwarded-Proto", async () => {
    const res = await fetch(`${http}/api/hello?x=1`);
    expect(res.status).toBe(200);
    expect(await res.text()).toBe("upstream /hello?x=1 proto=http");
  });

  it("proxy: upstream down is 502 FERRY_UPSTREAM_ERROR", async () => {
    const res = await fetch(`${http}/down/x`);
    expect(res.status).toBe(502);
    expect(res.headers.get("x-ferry-error")).toBe("FERRY_UPSTREAM_ERROR");
  });

  it("https: a request reaches the handler, which sees the https scheme", async () => {
    // The handler may take a moment to be live (hello after the subscription lands).
    let res = await httpsGet("/");
    for (let i = 0; i < 50 && res.status === 503; i++) {
      await new Promise((r) => setTimeout(r, 100));
      res = await httpsGet("/");
    }
    expect(res).toEqual({ status: 200, body: "https:" });
    expect((await httpsGet("/api/x")).body).toBe("upstream /x proto=https");
  });

  it("https: SIGHUP swaps in renewed certificates; a bad renewal keeps the running ones", async () => {
    expect(await servedCn()).toBe("localhost");
    makeCert(tmp.path, "renewed.test");
    frontend.child.kill("SIGHUP");
    await frontend.waitFor(/tls certificates reloaded/);
    expect(await servedCn()).toBe("renewed.test");
    writeFileSync(join(tmp.path, "cert.pem"), "not a certificate\n");
    frontend.child.kill("SIGHUP");
    await frontend.waitFor(/tls reload failed/);
    expect(await servedCn()).toBe("renewed.test");
  });
});
