/**
 * Reloads under steady load, end to end: keep-alive clients, a held long-poll, an open
 * WebSocket and a slow streaming download run while the config is reloaded 20 times, adding and
 * removing a route, a group and a listener each time. Nothing fails, no connection drops, new
 * routes answer after each reload, and a broken config in the middle is refused and changes
 * nothing.
 */
import { randomBytes, createHash } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { Agent, request, type IncomingMessage } from "node:http";
import type { Socket } from "node:net";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { freePort } from "../../support/ports.js";
import { start, startFerry, stopAll } from "../../support/processes.js";
import { ipcEndpoints, tempDir } from "../../support/tmp.js";
import { get } from "../frontend/harness.js";
import { startOpsFrontend, startTestHandler, until } from "./harness.js";

const RELOADS = 20;
const BROKEN_AT = 10;

describe("reload under load", () => {
  const tmp = tempDir("ferry-ops-");
  afterAll(async () => {
    await stopAll();
    tmp.cleanup();
  });

  it("20 reloads adding and removing a route, a group and a listener: nothing fails, nothing drops", async () => {
    const eps = (name: string) => {
      mkdirSync(join(tmp.path, name));
      return ipcEndpoints(join(tmp.path, name));
    };
    const app = eps("app");
    const wsg = eps("ws");
    const extra = eps("extra");
    const files = join(tmp.path, "files");
    mkdirSync(files);
    const big = randomBytes(16 * 1024 * 1024);
    writeFileSync(join(files, "big.bin"), big);
    const portB = await freePort();
    const handler = (group: string) => ({ kind: "handler", group });

    const config = (i: number, port: number) => {
      const odd = i % 2 === 1;
      return {
        listeners: [{ port }, ...(odd ? [{ port: portB }] : [])],
        hosts: [
          {
            names: ["*"],
            routes: [
              { path: `/v${i}`, target: handler("app") },
              { path: "/echo", target: handler("app") },
              { path: "/delay", target: handler("app") },
              { path: "/ws", target: handler("ws") },
              { path: "/files", target: { kind: "static", dir: files } },
              ...(odd
                ? [
                    { path: "/extra", target: handler("extra") },
                    { path: "/delay/1500", target: handler("extra") },
                  ]
                : []),
            ],
          },
        ],
        groups: {
          // The timeout changes at every reload: the group is retuned, not replaced.
          app: { ...app, timeout: 20_000 + i },
          ws: { ...wsg },
          ...(odd ? { extra: { ...extra } } : {}),
        },
      };
    };

    const fe = await startOpsFrontend(tmp.path, (port) => config(0, port));
    const appHandler = startTestHandler(app, { hid: "app-1", interval: 1000 });
    const extraHandler = startTestHandler(extra, { hid: "extra-1", interval: 300 });
    const wsHandler = start(process.execPath, [
      "--import",
      "tsx",
      "test/support/ws-test-handler.ts",
      "--requests",
      wsg.requests,
      "--replies",
      wsg.replies,
      "--events",
      wsg.events,
      "--interval",
      "1000",
    ]);
    await appHandler.waitFor(/ready/);
    await until("app live", async () => (await get(`${fe.url}/echo/x`)).status === 200);
    await until("ws live", async () => (await get(`${fe.url}/ws/plain`)).status === 200);

    // --- steady load --------------------------------------------------------------------
    let running = true;
    const failures: string[] = [];
    const clients = [0, 1, 2, 3].map(async (n) => {
      const agent = new Agent({ keepAlive: true, maxSockets: 1 });
      const sockets = new Set<Socket>();
      let ok = 0;
      while (running) {
        try {
          const r = await new Promise<{ status: number; socket: Socket }>((resolve, reject) => {
            const req = request(`${fe.url}/echo/c${n}`, { agent }, (res: IncomingMessage) => {
              res.resume();
              res.on("end", () => resolve({ status: res.statusCode ?? 0, socket: res.socket }));
              res.on("error", reject);
            });
            req.on("error", reject);
            req.end();
          });
          sockets.add(r.socket);
          if (r.status === 200) ok++;
          else failures.push(`client ${n}: status ${r.status}`);
        } catch (err) {
          failures.push(`client ${n}: ${(err as Error).message}`);
        }
        await new Promise((r) => setTimeout(r, 5));
      }
      agent.destroy();
      return { ok, sockets: sockets.size };
    });

    const longPoll = get(`${fe.url}/delay/6000`);

    const ws = new WebSocket(`ws://127.0.0.1:${fe.port}/ws/echo`);
    const echoes: string[] = [];
    let wsClosed: number | undefined;
    ws.on("message", (d) => echoes.push(String(d)));
    ws.on("close", (code) => (wsClosed = code));
    await new Promise((resolve, reject) => {
      ws.once("open", resolve);
      ws.once("error", reject);
    });
    let sent = 0;
    const pinger = setInterval(() => ws.send(`m${sent++}`), 100);

    // A download read at ~2 MiB/s, so it spans most of the reloads.
    let downloadDoneAt = 0;
    const download = new Promise<{ status: number; bytes: Buffer }>((resolve, reject) => {
      request(`${fe.url}/files/big.bin`, { agent: false }, (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => {
          chunks.push(c);
          res.pause();
          setTimeout(() => res.resume(), Math.ceil(c.length / 2048));
        });
        res.on("end", () => {
          downloadDoneAt = Date.now();
          resolve({ status: res.statusCode ?? 0, bytes: Buffer.concat(chunks) });
        });
        res.on("error", reject);
      })
        .on("error", reject)
        .end();
    });

    // --- the reloads --------------------------------------------------------------------
    const held: Array<Promise<{ status: number; body: string }>> = [];
    let brokenAt = 0;
    let seenDraining = 0;
    const reloadVia = async (i: number): Promise<void> => {
      if (i === 5) {
        const cli = startFerry(["reload", "--config", fe.file]);
        expect(await cli.exited, cli.output()).toBe(0);
        expect(cli.output()).toMatch(/reloaded \(#\d+/);
      } else if (i === 7) {
        const cli = startFerry(["reload", "--pid-file", fe.pidFile]);
        expect(await cli.exited, cli.output()).toBe(0);
      } else {
        const { status, body } = await fe.reload();
        expect(status, JSON.stringify(body)).toBe(200);
        expect(body.ok).toBe(true);
      }
    };

    for (let i = 1; i <= RELOADS; i++) {
      if (i === BROKEN_AT) {
        // A broken config: refused with every problem's path; nothing changes.
        const bad = config(i, fe.port) as Record<string, unknown>;
        (bad.groups as Record<string, Record<string, unknown>>).app!.timeout = -1;
        (bad.hosts as Array<{ routes: unknown[] }>)[0]!.routes.unshift({
          path: "/nope",
          target: handler("missing"),
        });
        fe.write(bad);
        const refused = await fe.reload();
        expect(refused.status).toBe(422);
        expect(refused.body.ok).toBe(false);
        const paths = refused.body.problems.map((p) => p.path);
        expect(paths).toContain("groups.app.timeout");
        expect(paths).toContain("hosts[0].routes[0].target.group");
        const cli = startFerry(["reload", "--config", fe.file]);
        expect(await cli.exited).toBe(1);
        expect(cli.output()).toContain("FERRY_RELOAD_FAILED");
        expect(cli.output()).toContain("groups.app.timeout");
        // Still the config of reload BROKEN_AT - 1 (odd: extra group and listener B present).
        expect((await get(`${fe.url}/v${i - 1}`)).status).toBe(200);
        expect((await get(`${fe.url}/v${i}`)).status).toBe(404);
        expect((await get(`http://127.0.0.1:${portB}/extra/x`)).status).toBe(200);
        brokenAt = Date.now();
      }
      fe.write(config(i, fe.port));
      await reloadVia(i);
      // The new route answers at once; the previous one is gone.
      const now = await get(`${fe.url}/v${i}/x`);
      expect(now.status, now.body).toBe(200);
      expect(JSON.parse(now.body).path).toBe(`/v${i}/x`);
      expect((await get(`${fe.url}/v${i - 1}/x`)).headers["x-ferry-error"]).toBe("FERRY_NO_ROUTE");
      if (i % 2 === 1) {
        // Group and listener added: the extra handler (already connecting) says hello.
        await until("extra live", async () => (await get(`${fe.url}/extra/x`)).status === 200);
        const viaB = await get(`http://127.0.0.1:${portB}/echo/b`);
        expect(viaB.status).toBe(200);
        // Held across the next reload, which removes the group and the listener.
        held.push(get(`${fe.url}/delay/1500/a${i}`));
        held.push(get(`http://127.0.0.1:${portB}/delay/1500/b${i}`));
        await until("held requests dispatched", async () => {
          const s = await fe.status();
          const paths = s.groups
            .flatMap((g) => (g.name === "extra" ? g.oldest : []))
            .map((x) => x.path);
          return paths.includes(`/delay/1500/a${i}`) && paths.includes(`/delay/1500/b${i}`);
        });
      } else {
        const s = await fe.status();
        const gone = s.groups.find((g) => g.name === "extra");
        // Removed while holding a request: it drains (or has drained already).
        if (gone !== undefined) {
          expect(gone.state).toBe("draining");
          seenDraining++;
        }
        expect((await get(`${fe.url}/extra/x`)).status).toBe(404);
        await expect(get(`http://127.0.0.1:${portB}/echo/b`)).rejects.toThrow(/ECONNREFUSED/);
      }
    }

    // --- the load ends: everything succeeded, nothing was dropped -----------------------
    running = false;
    clearInterval(pinger);
    const results = await Promise.all(clients);
    const lp = await longPoll;
    const dl = await download;
    const heldResults = await Promise.all(held);
    await until("every echo", () => echoes.length === sent, 10_000);
    ws.close(1000);

    expect(failures).toEqual([]);
    for (const r of results) {
      expect(r.ok).toBeGreaterThan(20);
      expect(r.sockets).toBe(1); // one keep-alive connection all along
    }
    expect(lp.status).toBe(200);
    expect(dl.status).toBe(200);
    expect(dl.bytes.length).toBe(big.length);
    expect(createHash("sha256").update(dl.bytes).digest("hex")).toBe(
      createHash("sha256").update(big).digest("hex"),
    );
    expect(downloadDoneAt).toBeGreaterThan(brokenAt);
    expect(wsClosed).toBeUndefined();
    expect(echoes).toEqual(Array.from({ length: sent }, (_, k) => `m${k}`));
    expect(heldResults.map((r) => r.status)).toEqual(heldResults.map(() => 200));
    expect(seenDraining).toBeGreaterThan(0);
    // The requests held on the extra group (one of them through listener B) were answered by
    // its handler after the group and the listener were removed.
    for (const r of heldResults) expect(JSON.parse(r.body).hid).toBe("extra-1");

    const metrics = await (await fetch(`${fe.control}/metrics`)).text();
    expect(metrics).toMatch(new RegExp(`ferry_reloads_total\\{result="ok"\\} ${RELOADS}\\b`));
    expect(metrics).toMatch(/ferry_reloads_total\{result="failed"\} 2\b/);
    const status = await fe.status();
    expect(status.config.reloads).toEqual({ ok: RELOADS, failed: 2 });
    expect(status.groups.map((g) => g.name).sort()).toEqual(["app", "ws"]);
    expect(status.listeners).toHaveLength(1);
    expect(fe.proc.output()).toMatch(
      /^(?=.*"msg":"reload refused: problem")(?=.*"path":"groups\.app\.timeout").*$/m,
    );
    expect(fe.proc.output()).toMatch(/"msg":"reload failed; the running config stays"/);
    expect(extraHandler.output()).toContain("ready extra-1");
    expect(wsHandler.child.exitCode).toBeNull();
  }, 180_000);
});
