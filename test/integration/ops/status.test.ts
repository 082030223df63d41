/**
 * The status API, `ferry status` and the control token, against a real frontend and real
 * handler processes: handlers joining, draining and leaving, queue depth under a burst, exit
 * statuses, and the token off loopback.
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { Publisher } from "zeromq";
import { startFerry, stopAll } from "../../support/processes.js";
import { serialPublisher } from "../../support/serial-publisher.js";
import { ipcEndpoints, tempDir } from "../../support/tmp.js";
import { get } from "../frontend/harness.js";
import { startOpsFrontend, startTestHandler, until, type StatusAnswer } from "./harness.js";

const tmp = tempDir("ferry-status-");
let n = 0;
function endpoints(): ReturnType<typeof ipcEndpoints> {
  const dir = join(tmp.path, `g${n++}`);
  mkdirSync(dir);
  return ipcEndpoints(dir);
}

function oneGroup(eps: ReturnType<typeof ipcEndpoints>, group: Record<string, unknown> = {}) {
  return (port: number) => ({
    listeners: [{ port }],
    hosts: [{ names: ["*"], routes: [{ path: "/", target: { kind: "handler", group: "app" } }] }],
    groups: { app: { ...eps, ...group } },
  });
}

const groupOf = (s: StatusAnswer, name = "app") => s.groups.find((g) => g.name === name)!;

afterAll(async () => {
  await stopAll();
  tmp.cleanup();
});

describe("GET /status", () => {
  it("lists handlers as they join, drain and leave", async () => {
    const eps = endpoints();
    const fe = await startOpsFrontend(tmp.path, oneGroup(eps));
    let s = await fe.status();
    expect(groupOf(s)).toMatchObject({
      protocol: "ferry",
      state: "serving",
      live: 0,
      handlers: [],
    });
    expect(s.listeners).toEqual([{ address: fe.url, tls: false }]);
    expect(s.config.source).toBe(fe.file);
    expect(s.config.lastReload).toBeNull();

    startTestHandler(eps, { hid: "h1", interval: 200 });
    await until("h1 live", async () => groupOf(await fe.status()).live === 1);
    const h2 = startTestHandler(eps, { hid: "h2", interval: 200 });
    await until("h2 live", async () => groupOf(await fe.status()).live === 2);
    s = await fe.status();
    const h1row = groupOf(s).handlers!.find((h) => h.hid === "h1")!;
    expect(h1row).toMatchObject({ agent: "ferry-test-handler", capacity: 64, draining: false });
    expect(h1row.lastHeartbeat).toBeLessThan(3000);

    // A request held by a handler shows in the group's in-flight count and oldest exchanges.
    const held = get(`${fe.url}/delay/1500`);
    await until("held request listed", async () => groupOf(await fe.status()).inflight === 1);
    s = await fe.status();
    expect(groupOf(s).oldest[0]).toMatchObject({ path: "/delay/1500" });
    expect(s.inflight).toBe(1);
    expect((await held).status).toBe(200);

    // SIGTERM: goodbye (draining, no new work), then gone once its heartbeats stop.
    await h2.stop();
    let sawDraining = false;
    await until("h2 gone", async () => {
      const handlers = groupOf(await fe.status()).handlers!;
      const row = handlers.find((h) => h.hid === "h2");
      if (row?.draining) sawDraining = true;
      return row === undefined;
    });
    expect(sawDraining).toBe(true);
    s = await fe.status();
    expect(groupOf(s).handlers!.map((h) => h.hid)).toEqual(["h1"]);
    expect(groupOf(s).requests).toBeGreaterThanOrEqual(1);
    expect(s.history.requests).toHaveLength(s.history.seconds);
  });

  it("shows queue depth under a burst, then the queue drains", async () => {
    const eps = endpoints();
    const fe = await startOpsFrontend(
      tmp.path,
      oneGroup(eps, { queue: { length: 100, wait: 20_000 } }),
    );
    // A handler that says hello but takes no requests (no PULL socket): the group counts it
    // live, and what is sent waits in the frontend's queue.
    const pub = new Publisher({ linger: 0 });
    pub.connect(eps.replies);
    const out = serialPublisher(pub);
    const hello = () =>
      out.send("*", {
        kind: "heartbeat",
        hid: "ghost",
        secret: Buffer.alloc(32, 7),
        capacity: 8,
        inflight: 0,
        interval: 200,
      });
    const beat = setInterval(hello, 200);
    try {
      await until("ghost live", async () => groupOf(await fe.status()).live === 1);
      const burst = Array.from({ length: 12 }, (_, i) => get(`${fe.url}/echo/${i}`));
      await until("queued", async () => groupOf(await fe.status()).queued === 12);
      const s = await fe.status();
      expect(groupOf(s).inflight).toBe(12);
      expect(s.connections).toBeGreaterThanOrEqual(12);
      // ferry status shows it too.
      const cli = startFerry(["status", "--control", fe.control]);
      expect(await cli.exited).toBe(0);
      expect(cli.output()).toMatch(/^app\s+ferry\s+serving\s+1\s+12\s+12\b/m);
      // A real handler arrives: the queue drains and every request is answered.
      startTestHandler(eps, { hid: "real", interval: 200 });
      const answers = await Promise.all(burst);
      expect(answers.map((a) => a.status)).toEqual(answers.map(() => 200));
      expect(groupOf(await fe.status()).queued).toBe(0);
    } finally {
      clearInterval(beat);
      pub.close();
    }
  });
});

describe("ferry status", () => {
  it("prints a table, --json, --watch; exit 1 when a group has no live handler", async () => {
    const eps = endpoints();
    const fe = await startOpsFrontend(tmp.path, oneGroup(eps));
    let cli = startFerry(["status", "--config", fe.file]);
    expect(await cli.exited).toBe(1);
    expect(cli.output()).toMatch(/^app\s+ferry\s+NO HANDLER\s+0\b/m);

    startTestHandler(eps, { hid: "solo", interval: 200 });
    await until("live", async () => groupOf(await fe.status()).live === 1);
    cli = startFerry(["status", "--config", fe.file]);
    expect(await cli.exited).toBe(0);
    const text = cli.output();
    expect(text).toContain("GROUP");
    expect(text).toMatch(/^solo\s+ferry-test-handler\s+0\s+64\b.*live$/m);
    expect(text).toContain(`listening ${fe.url}`);

    cli = startFerry(["status", "--config", fe.file, "--json"]);
    expect(await cli.exited).toBe(0);
    const doc = JSON.parse(cli.output()) as StatusAnswer;
    expect(groupOf(doc).handlers!.map((h) => h.hid)).toEqual(["solo"]);

    const watch = startFerry(["status", "--config", fe.file, "--watch", "0.2"]);
    await until("two redraws", () => watch.output().split("\u001b[2J").length - 1 >= 2);
    expect(await watch.stop("SIGINT")).toBe(0);

    cli = startFerry(["status", "--control", "http://127.0.0.1:1"]);
    expect(await cli.exited).toBe(3);
    expect(cli.output()).toContain("FERRY_CONTROL_UNREACHABLE");
  });
});

describe("the control token", () => {
  it("is required to start off loopback", async () => {
    const eps = endpoints();
    await expect(
      startOpsFrontend(tmp.path, oneGroup(eps), { controlHost: "0.0.0.0" }),
    ).rejects.toThrow(/control\.token: required when control\.host \(0\.0\.0\.0\)/);
  });

  it("guards every path but /health, from FERRY_CONTROL_TOKEN", async () => {
    const token = "s3cret-token-for-the-test";
    const eps = endpoints();
    const fe = await startOpsFrontend(tmp.path, oneGroup(eps), {
      controlHost: "0.0.0.0",
      env: { FERRY_CONTROL_TOKEN: token },
    });
    expect(fe.proc.output()).toMatch(/every path but \/health needs the token/);
    for (const path of ["/status", "/metrics", "/", "/status.html"]) {
      const res = await fetch(`${fe.control}${path}`);
      expect(res.status, path).toBe(401);
      expect(await res.text()).toContain("FERRY_CONTROL_TOKEN");
    }
    expect(
      (await fetch(`${fe.control}/status`, { headers: { authorization: "Bearer wrong" } })).status,
    ).toBe(401);
    expect((await fetch(`${fe.control}/reload`, { method: "POST" })).status).toBe(401);
    expect((await fetch(`${fe.control}/health`)).status).toBe(503); // no handler yet
    expect((await fetch(`${fe.control}/status?token=${token}`)).status).toBe(200);
    expect((await fe.status()).fid).toMatch(/^ferry-/);

    let cli = startFerry(["status", "--control", fe.control], { env: { FERRY_CONTROL_TOKEN: "" } });
    expect(await cli.exited).toBe(3);
    expect(cli.output()).toContain("FERRY_CONTROL_TOKEN");
    cli = startFerry(["status", "--control", fe.control], { env: { FERRY_CONTROL_TOKEN: token } });
    expect(await cli.exited).toBe(1); // reached: the group has no handler
    cli = startFerry(["reload", "--control", fe.control], { env: { FERRY_CONTROL_TOKEN: token } });
    expect(await cli.exited).toBe(0);
    expect(cli.output()).toContain("no change");
  });
});
