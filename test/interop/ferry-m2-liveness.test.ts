/**
 * A mongrel2 group's liveness comes from the handlers connected to its requests socket, not from
 * recent sends: handlers that are connected but idle keep `/health` at 200 and
 * `ferry_group_live_handlers` at their number, long past the liveness window; when they leave,
 * both drop and requests get 503 at once.
 */
import { Pull } from "zeromq";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startFerryM2, type FerryM2 } from "../support/ferry-m2.js";
import { stopAll } from "../support/processes.js";
import { tempDir } from "../support/tmp.js";

/** Liveness window of the group under test: heartbeat.interval x misses. */
const WINDOW_MS = 100;

interface Health {
  status: number;
  live: number;
}

async function health(ferry: FerryM2): Promise<Health> {
  const res = await fetch(`${ferry.controlUrl}/health`);
  const body = (await res.json()) as { groups: Array<{ name: string; live: number }> };
  return { status: res.status, live: body.groups.find((g) => g.name === "main")!.live };
}

async function liveMetric(ferry: FerryM2): Promise<number> {
  const text = await (await fetch(`${ferry.controlUrl}/metrics`)).text();
  const m = /^ferry_group_live_handlers\{group="main"\} (\d+)$/m.exec(text);
  if (!m) throw new Error(`no ferry_group_live_handlers line:\n${text}`);
  return Number(m[1]);
}

/** Until /health reports `live` handlers (ZeroMQ connects and disconnects asynchronously). */
async function untilLive(ferry: FerryM2, live: number): Promise<void> {
  const deadline = Date.now() + 5000;
  while ((await health(ferry)).live !== live) {
    if (Date.now() > deadline) throw new Error(`live never became ${live}`);
    await new Promise((r) => setTimeout(r, 20)); // bounded polling
  }
}

describe("mongrel2 group liveness: connected handlers, idle or not", () => {
  const tmp = tempDir("ferry-m2-live-");
  let ferry: FerryM2;

  beforeAll(async () => {
    ferry = await startFerryM2(
      tmp.path,
      { main: { names: ["*"], heartbeat: { interval: WINDOW_MS / 2, misses: 2 } } },
      { control: true },
    );
  });

  afterAll(async () => {
    await stopAll();
    tmp.cleanup();
  });

  it("no handler: /health 503, live 0, a request 503 at once", async () => {
    expect(await health(ferry)).toEqual({ status: 503, live: 0 });
    expect(await liveMetric(ferry)).toBe(0);
    const res = await fetch(`${ferry.url}/`);
    expect(res.status).toBe(503);
    expect(res.headers.get("x-ferry-error")).toBe("FERRY_NO_HANDLER");
  });

  it("idle handlers stay live past the window; they count until they leave", async () => {
    const sendSpec = ferry.groups.main!.sendSpec;
    const first = new Pull({ linger: 0 });
    const second = new Pull({ linger: 0 });
    try {
      first.connect(sendSpec);
      await untilLive(ferry, 1);
      // No request is sent: the handler stays idle for several liveness windows.
      await new Promise((r) => setTimeout(r, WINDOW_MS * 4));
      expect(await health(ferry)).toEqual({ status: 200, live: 1 });
      expect(await liveMetric(ferry)).toBe(1);

      second.connect(sendSpec);
      await untilLive(ferry, 2);
      expect(await liveMetric(ferry)).toBe(2);

      first.close();
      await untilLive(ferry, 1);
      second.close();
      await untilLive(ferry, 0);
      expect((await health(ferry)).status).toBe(503);
      expect(await liveMetric(ferry)).toBe(0);
      expect((await fetch(`${ferry.url}/`)).status).toBe(503);
    } finally {
      if (!first.closed) first.close();
      if (!second.closed) second.close();
    }
  });
});
