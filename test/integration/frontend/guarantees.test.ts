/**
 * What Ferry promises beyond HTTP, with real processes: 503 with no handler, 502 when the
 * claiming handler is killed (-9) within the heartbeat window, re-send of an unclaimed
 * idempotent request to another handler, re-send in milliseconds (not a heartbeat window) when a
 * handler dies under load, graceful stop under load with no failed request.
 */
import { Agent } from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import { stopAll } from "../../support/processes.js";
import { tempDir } from "../../support/tmp.js";
import {
  endpointsFor,
  get,
  startFrontend,
  startHandler,
  TRANSPORTS,
  waitForCount,
  waitLive,
} from "./harness.js";

const HEARTBEAT = { interval: 100, misses: 3 };

for (const transport of TRANSPORTS) {
  describe(`guarantees over ${transport}`, () => {
    const dirs: Array<{ cleanup(): void }> = [];
    const dir = () => {
      const d = tempDir();
      dirs.push(d);
      return d.path;
    };
    afterEach(async () => {
      await stopAll();
      for (const d of dirs.splice(0)) d.cleanup();
    });

    it("answers 503 with Retry-After at once when no handler is live", async () => {
      const d = dir();
      // Long waits configured, so "at once" is told from "after waiting" with room to spare for a
      // loaded machine.
      const fe = await startFrontend(d, await endpointsFor(transport, d), {
        timeout: 10_000,
        queue: { wait: 10_000 },
      });
      const started = Date.now();
      const r = await get(`${fe.url}/echo`);
      expect(r.status).toBe(503);
      expect(r.headers["retry-after"]).toBe("1");
      expect(r.headers["x-ferry-error"]).toBe("FERRY_NO_HANDLER");
      expect(Date.now() - started).toBeLessThan(3000);
    });

    it("answers 502 within the heartbeat window when the claiming handler is killed", async () => {
      const d = dir();
      const endpoints = await endpointsFor(transport, d);
      const fe = await startFrontend(d, endpoints, { heartbeat: HEARTBEAT, timeout: 10_000 });
      const handler = startHandler(endpoints, { interval: HEARTBEAT.interval, log: true });
      await waitLive(fe.url);
      const pending = get(`${fe.url}/never`, { method: "POST", body: "x" });
      await handler.waitFor(/request POST \/never/);
      const killedAt = Date.now();
      handler.child.kill("SIGKILL");
      const r = await pending;
      expect(r.status).toBe(502);
      expect(r.headers["x-ferry-error"]).toBe("FERRY_HANDLER_LOST");
      // window = misses x interval (300 ms) + one housekeeping tick + slack for a loaded machine
      expect(Date.now() - killedAt).toBeLessThan(1500);
      // and the group is now empty: 503 at once
      expect((await get(`${fe.url}/echo`)).status).toBe(503);
    });

    it("re-sends an unclaimed idempotent request when its handler is lost", async () => {
      const d = dir();
      const endpoints = await endpointsFor(transport, d);
      const fe = await startFrontend(d, endpoints, { heartbeat: HEARTBEAT, timeout: 10_000 });
      // handler-a's window (1.5 s) is short enough to wait for, long enough that a stall on a
      // loaded machine does not lose it before handler-b is up (its request would find no one).
      const a = startHandler(endpoints, { hid: "handler-a", interval: 500, log: true });
      await waitLive(fe.url);
      // Only handler-b answers this path; handler-a takes it and stays silent (no claim).
      const pending = get(`${fe.url}/only/handler-b`);
      await a.waitFor(/request GET \/only\/handler-b/);
      // handler-b keeps the harness's long heartbeat window: a stall on a loaded machine must not
      // make it look lost too, or the re-send finds no handler.
      startHandler(endpoints, { hid: "handler-b" });
      // Live for the frontend (its hello or a heartbeat seen), not only reachable by PUSH.
      await fe.proc.waitFor(/"hid":"handler-b".*"msg":"handler up"/);
      a.child.kill("SIGKILL");
      const r = await pending;
      expect(r.status, fe.proc.output()).toBe(200);
      // Re-sent at once on the disconnect, and once more 100 ms later if still unclaimed (ZeroMQ
      // reports the disconnect before it drops the dead pipe): attempt 1 or 2, never the wait
      // for handler-a's heartbeat window.
      const body = JSON.parse(r.body) as { hid: string; attempt: number };
      expect(body.hid).toBe("handler-b");
      expect(body.attempt).toBeGreaterThanOrEqual(1);
      expect(body.attempt).toBeLessThanOrEqual(2);
    });

    it("a handler killed under load costs milliseconds: nothing waits for the heartbeat window", async () => {
      const d = dir();
      const endpoints = await endpointsFor(transport, d);
      // A 30 s heartbeat window: a request that waited for it would fail the time bound below.
      const slow = { interval: 10_000, misses: 3 };
      const fe = await startFrontend(d, endpoints, { heartbeat: slow, timeout: 60_000 });
      const [victim] = ["victim", "h-2", "h-3"].map((hid) =>
        startHandler(endpoints, { hid, interval: slow.interval, log: true }),
      );
      await waitForCount(fe.proc, /"msg":"handler up"/g, 3, 15_000);
      const agent = new Agent({ keepAlive: true, maxSockets: 24 });
      // Unclaimed work: each handler holds its requests 150 ms before answering, without a claim.
      const load = Array.from({ length: 120 }, (_, i) =>
        get(`${fe.url}/slow/150?i=${i}`, { agent }),
      );
      await waitForCount(victim!, /request GET \/slow/g, 6);
      const killedAt = Date.now();
      victim!.child.kill("SIGKILL");
      const replies = await Promise.all(load);
      const elapsed = Date.now() - killedAt;
      expect(replies.map((r) => r.status)).toEqual(Array(120).fill(200));
      // The victim's requests were sent again, to the others.
      const bodies = replies.map((r) => JSON.parse(r.body) as { hid: string; attempt: number });
      expect(bodies.some((b) => b.attempt >= 1 && b.hid !== "victim")).toBe(true);
      expect(fe.proc.output()).toContain("its unclaimed requests were re-sent");
      // Far below misses x interval (30 s), with room for a loaded machine.
      expect(elapsed).toBeLessThan(8000);
      agent.destroy();
    });

    it("logs a handler that said goodbye and exited as one that left, not as lost", async () => {
      const d = dir();
      const endpoints = await endpointsFor(transport, d);
      const fe = await startFrontend(d, endpoints, { heartbeat: HEARTBEAT });
      const handler = startHandler(endpoints, { interval: HEARTBEAT.interval });
      await waitLive(fe.url);
      handler.child.kill("SIGTERM");
      expect(await handler.exited).toBe(0);
      const line = await fe.proc.waitFor(/.*"msg":"handler left".*/, 10_000);
      expect(line).toContain('"level":30'); // info
      expect(line).toContain('"reason":"left"');
      expect(fe.proc.output()).not.toContain("handler lost");
      expect((await get(`${fe.url}/echo`)).status).toBe(503);
    });

    it("stops gracefully under load: every in-flight request completes, exit 0", async () => {
      const d = dir();
      const endpoints = await endpointsFor(transport, d);
      const fe = await startFrontend(d, endpoints);
      const handler = startHandler(endpoints, { log: true });
      await waitLive(fe.url);
      const agent = new Agent({ keepAlive: true, maxSockets: 50 });
      const inflight = Array.from({ length: 50 }, (_, i) =>
        get(`${fe.url}/delay/1500?i=${i}`, { agent }),
      );
      // SIGTERM only once all 50 are in flight (a request still in the client's kernel buffer
      // when the listener closes is not in flight, and may be reset). The replies wait 1.5 s so
      // that, even on a loaded machine, the frontend is draining when they come back.
      await waitForCount(handler, /request GET \/delay\/1500/g, 50);
      fe.proc.child.kill("SIGTERM");
      const replies = await Promise.all(inflight);
      expect(replies.map((r) => r.status)).toEqual(Array(50).fill(200));
      expect(replies.every((r) => r.headers.connection === "close")).toBe(true);
      expect(await fe.proc.exited).toBe(0);
      agent.destroy();
    });
  });
}
