/** The per-second traffic rings, and `ferry status`'s table and exit status. */
import { describe, expect, it } from "vitest";
import { HISTORY_SECONDS, TrafficRing } from "../../../frontend/status/traffic.js";
import { renderStatus, statusExitCode } from "../../../frontend/status/table.js";
import type { StatusDoc } from "../../../frontend/status/snapshot.js";

describe("TrafficRing", () => {
  it("counts per second, oldest first, with quiet seconds as zeros", () => {
    const ring = new TrafficRing();
    ring.add(10, false);
    ring.add(10, true);
    ring.add(12, false);
    expect(ring.series(13, 4)).toEqual({ requests: [0, 2, 0, 1], errors: [0, 1, 0, 0] });
    expect(ring.rates(13, 4)).toEqual({ rate: 0.75, errorRate: 0.25 });
    expect([ring.requests, ring.errors]).toEqual([3, 1]);
  });

  it("forgets what is older than its history", () => {
    const ring = new TrafficRing();
    ring.add(5, true);
    const later = 5 + HISTORY_SECONDS + 10;
    ring.add(later, false);
    const { requests, errors } = ring.series(later + 1, HISTORY_SECONDS);
    expect(requests.reduce((a, b) => a + b)).toBe(1);
    expect(errors.reduce((a, b) => a + b)).toBe(0);
    expect(ring.errors).toBe(1); // the total stays
  });
});

const doc = (live: number, handlers: number): StatusDoc => ({
  fid: "ferry-abc",
  pid: 42,
  startedAt: "2026-12-07T00:00:00.000Z",
  uptime: 3725,
  config: { source: "ferry.json", lastReload: null, reloads: { ok: 0, failed: 0 } },
  listeners: [{ address: "http://127.0.0.1:6767", tls: false }],
  connections: 3,
  websockets: 1,
  inflight: 2,
  requests: 10,
  errors: 1,
  rate: 1.5,
  errorRate: 0.1,
  history: { seconds: 2, requests: [1, 2], errors: [0, 1] },
  groups: [
    {
      name: "app",
      protocol: "ferry",
      state: "serving",
      live,
      handlers: Array.from({ length: handlers }, (_, i) => ({
        hid: `h${i}`,
        agent: "sdk",
        inflight: i,
        capacity: 8,
        lastHeartbeat: 1500,
        draining: i === 1,
      })),
      queued: 4,
      inflight: 2,
      requests: 10,
      errors: 1,
      rate: 1.5,
      errorRate: 0.1,
      oldest: [],
    },
  ],
});

describe("renderStatus", () => {
  it("prints a summary, a row per group and its handlers, the rest counted", () => {
    const text = renderStatus(doc(11, 12));
    expect(text).toMatch(/^ferry-abc {2}pid 42 {2}up 1h2m {2}config ferry.json$/m);
    expect(text).toMatch(/^app\s+ferry\s+serving\s+11\s+4\s+2\s+1\.5\s+0\.1\s+10\s+1$/m);
    expect(text).toMatch(/^h1\s+sdk\s+1\s+8\s+1\.5s\s+draining$/m);
    expect(text).not.toMatch(/^h10\b/m);
    expect(text).toContain("... and 2 more (--all, or --json)");
    expect(renderStatus(doc(11, 12), Infinity)).toMatch(/^h11\b/m);
  });

  it("exits 1 when a serving group has no live handler", () => {
    expect(statusExitCode(doc(1, 1))).toBe(0);
    expect(statusExitCode(doc(0, 0))).toBe(1);
    expect(renderStatus(doc(0, 0))).toMatch(/^app\s+ferry\s+NO HANDLER\b/m);
    const draining = doc(0, 0);
    draining.groups[0]!.state = "draining";
    expect(statusExitCode(draining)).toBe(0);
  });
});
