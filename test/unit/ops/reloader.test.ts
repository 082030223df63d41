/**
 * The Reloader on a Frontend with the in-memory transport: retuned timeouts apply to new
 * requests only, a group whose endpoints change drains on its old sockets, a refused config
 * changes nothing.
 */
import { writeFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import {
  decodeToHandler,
  encodeToFrontend,
  type Draft,
  type RequestMsg,
  type ToFrontendMsg,
} from "../../../protocol/index.js";
import { loadConfig } from "../../../frontend/config/load.js";
import { Reloader } from "../../../frontend/reload/reloader.js";
import { Frontend } from "../../../frontend/server.js";
import { MemoryTransport, type MemoryGroupSockets } from "../../../frontend/transport/memory.js";
import { tempDir } from "../../support/tmp.js";

const tmp = tempDir("ferry-reloader-");
const running: Frontend[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((f) => f.stop(0)));
});
afterAll(() => tmp.cleanup());

function groupConfig(prefix: string, timeout: number) {
  return {
    requests: `inproc://${prefix}-req`,
    replies: `inproc://${prefix}-rep`,
    events: `inproc://${prefix}-evt`,
    timeout,
    heartbeat: { interval: 10_000 },
  };
}

async function setup(timeout: number, env: Record<string, string> = {}) {
  const file = join(tmp.path, `ferry-${running.length}-${Date.now()}.json`);
  const write = (prefix: string, t: number, extra: Record<string, unknown> = {}) =>
    writeFileSync(
      file,
      JSON.stringify({
        listeners: [{ port: 0 }],
        hosts: [{ names: ["*"], routes: [{ path: "/", target: { kind: "handler", group: "g" } }] }],
        groups: { g: groupConfig(prefix, t) },
        ...extra,
      }),
    );
  write("one", timeout);
  const transport = new MemoryTransport();
  const fe = new Frontend(loadConfig({ file, env }).config, { transport, fid: "fe" });
  running.push(fe);
  await fe.start();
  const reloader = new Reloader(fe, { file, env });
  const hello = (mem: MemoryGroupSockets, hid: string) =>
    deliver(mem, {
      kind: "hello",
      hid,
      secret: Buffer.alloc(32, 7),
      capacity: 8,
      inflight: 0,
      interval: 10_000,
    });
  return { fe, transport, reloader, write, url: fe.addresses[0]!, hello };
}

function deliver(mem: MemoryGroupSockets, msg: Draft<ToFrontendMsg>): void {
  const topic = msg.kind === "hello" || msg.kind === "heartbeat" ? "*" : "fe";
  mem.deliver([Buffer.from(topic), encodeToFrontend(msg)]);
}

async function sent(mem: MemoryGroupSockets, n: number): Promise<RequestMsg[]> {
  const deadline = Date.now() + 5000;
  while (mem.sent.length < n && Date.now() < deadline) await new Promise((r) => setTimeout(r, 2));
  return mem.sent.map((p) => decodeToHandler(p) as RequestMsg);
}

describe("Reloader", () => {
  it("a retuned timeout applies to new requests; dispatched ones keep theirs", async () => {
    const { transport, reloader, write, url, hello } = await setup(60_000);
    const mem = transport.groups[0]!;
    hello(mem, "h");
    const early = fetch(`${url}/early`);
    await sent(mem, 1);
    write("one", 150);
    const result = await reloader.reload("api");
    expect(result).toMatchObject({ ok: true, changes: ["group g: settings changed"] });
    expect(transport.groups).toHaveLength(1); // same sockets
    const started = Date.now();
    const late = await fetch(`${url}/late`);
    expect(late.status).toBe(504);
    expect(Date.now() - started).toBeLessThan(5000);
    // The early request is still waiting under its 60 s timeout: answer it now.
    const [first] = await sent(mem, 1);
    deliver(mem, {
      kind: "head",
      hid: "h",
      to: [[first!.conn, first!.req, first!.token]],
      status: 200,
      headers: [],
      body: Buffer.from("early"),
      end: true,
    });
    const res = await early;
    expect(res.status).toBe(200);
    expect(await res.text()).toBe("early");
  });

  it("a group whose endpoints change drains on its old sockets, then closes", async () => {
    const { fe, transport, reloader, write, url, hello } = await setup(60_000);
    const old = transport.groups[0]!;
    hello(old, "h-old");
    const held = fetch(`${url}/held`);
    const [req] = await sent(old, 1);
    write("two", 60_000);
    expect((await reloader.reload("api")).ok).toBe(true);
    const fresh = transport.groups[1]!;
    expect(fresh.endpoints.requests).toBe("inproc://two-req");
    expect(old.closed).toBe(false); // it still holds a request
    expect(fe.retiring.size).toBe(1);
    // New requests go to the new sockets.
    hello(fresh, "h-new");
    const next = fetch(`${url}/next`);
    const [nreq] = await sent(fresh, 1);
    expect(nreq!.path).toBe("/next");
    deliver(fresh, {
      kind: "head",
      hid: "h-new",
      to: [[nreq!.conn, nreq!.req, nreq!.token]],
      status: 200,
      headers: [],
      body: Buffer.from("new"),
      end: true,
    });
    expect(await (await next).text()).toBe("new");
    // The held one is answered through the old sockets; then the old group closes.
    deliver(old, {
      kind: "head",
      hid: "h-old",
      to: [[req!.conn, req!.req, req!.token]],
      status: 200,
      headers: [],
      body: Buffer.from("old"),
      end: true,
    });
    expect(await (await held).text()).toBe("old");
    const deadline = Date.now() + 3000;
    while (!old.closed && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(old.closed).toBe(true);
    expect(fe.retiring.size).toBe(0);
  });

  it("applies environment overrides again, as at start", async () => {
    const { fe, transport, reloader, write } = await setup(60_000, {
      FERRY_REQUESTS: "inproc://env-req",
    });
    expect(transport.groups[0]!.endpoints.requests).toBe("inproc://env-req");
    write("one", 30_000);
    const result = await reloader.reload("api");
    expect(result).toMatchObject({ ok: true, changes: ["group g: settings changed"] });
    expect(transport.groups).toHaveLength(1); // the override still applies: same sockets
    expect(fe.config.groups.g!.requests).toBe("inproc://env-req");
    expect(fe.config.groups.g!.timeout).toBe(30_000);
  });

  it("new limits, and a proxy route the running config did not have, apply at once", async () => {
    const upstream = createServer((req, res) => res.end(`upstream ${req.url}`));
    await new Promise<void>((r) => upstream.listen(0, "127.0.0.1", r));
    try {
      const { url, write, reloader, transport, hello } = await setup(60_000);
      const port = (upstream.address() as AddressInfo).port;
      const big = "x".repeat(4096);
      expect((await fetch(`${url}/h`, { headers: { "x-big": big } })).status).not.toBe(431);
      write("one", 60_000, {
        limits: { headerBytes: 2048, bodyBytes: 10 },
        hosts: [
          {
            names: ["*"],
            routes: [
              { path: "/up", target: { kind: "proxy", upstream: `http://127.0.0.1:${port}` } },
              { path: "/", target: { kind: "handler", group: "g" } },
            ],
          },
        ],
      });
      expect((await reloader.reload("api")).ok).toBe(true);
      const proxied = await fetch(`${url}/up/x`);
      expect(await proxied.text()).toBe("upstream /up/x");
      expect((await fetch(`${url}/h`, { headers: { "x-big": big } })).status).toBe(431);
      hello(transport.groups[0]!, "h"); // live, so the body is looked at (and refused)
      const tooLarge = await fetch(`${url}/h`, { method: "POST", body: "01234567890123456789" });
      expect(tooLarge.status).toBe(413);
    } finally {
      upstream.close();
    }
  });

  it("a refused config changes nothing", async () => {
    const { fe, transport, reloader, write } = await setup(60_000);
    const before = fe.config;
    write("two", 60_000, { limits: { headerBytes: 1 } });
    const result = await reloader.reload("api");
    expect(result.ok).toBe(false);
    expect(result.problems.map((p) => p.path)).toEqual(["limits.headerBytes"]);
    expect(fe.config).toBe(before);
    expect(transport.groups).toHaveLength(1);
    expect(reloader.counts).toEqual({ ok: 0, failed: 1 });
  });
});
