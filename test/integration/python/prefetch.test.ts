/**
 * `--prefetch` under a real frontend: workers that hold requests beyond their one thread answer
 * every request, each to its own client, and a graceful stop still answers the requests they had
 * taken, POSTs included (those are never re-sent elsewhere, so one dropped would be a 502).
 */
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROOT, stopAll, type Proc } from "../../support/processes.js";
import { tempDir } from "../../support/tmp.js";
import { startFrontend, startPython, waitServed, type Frontend } from "./harness.js";

const dir = tempDir();
let frontend: Frontend;
let handler: Proc;

afterAll(async () => {
  await stopAll();
  dir.cleanup();
});

beforeAll(async () => {
  frontend = await startFrontend(dir.path);
  handler = await startPython(["plain:app"], frontend.endpoints, {
    pythonPath: [join(ROOT, "test/python/apps")],
    workers: 2,
    env: { FERRY_PREFETCH: "2" },
  });
  await waitServed(`${frontend.url}/x`);
}, 30_000);

async function post(path: string, body: string): Promise<[number, string]> {
  const res = await fetch(`${frontend.url}${path}`, { method: "POST", body });
  return [res.status, await res.text()];
}

describe("Python workers with --prefetch", () => {
  it("answer every request, each to its own client", async () => {
    const results = await Promise.all(
      Array.from({ length: 40 }, (_, i) => post(`/p${i}`, "x".repeat(i))),
    );
    results.forEach(([status, text], i) => {
      expect(status).toBe(200);
      expect(text).toContain(`POST /p${i}?`);
      expect(text).toContain(`body=${i}\n`);
    });
  }, 30_000);

  it("answer the requests they hold when stopped gracefully", async () => {
    // Six slow POSTs, one at a time a few ms apart: each worker runs one and holds two.
    const pending: Array<Promise<[number, string]>> = [];
    for (let i = 0; i < 6; i++) {
      pending.push(post(`/sleep?0.3`, `drain-${i}`));
      await new Promise((r) => setTimeout(r, 20));
    }
    await new Promise((r) => setTimeout(r, 100));
    handler.child.kill("SIGTERM");
    const results = await Promise.all(pending);
    expect(results.map(([status]) => status)).toEqual([200, 200, 200, 200, 200, 200]);
    expect(await handler.exited).toBe(0);
  }, 30_000);
});
