/**
 * The Python handler's processes under a real frontend: a reload (SIGHUP) while requests flow
 * loses none of them, a killed worker is replaced, and a request past the group's timeout is
 * answered 504 by the frontend without disturbing the worker.
 */
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROOT, stopAll, type Proc } from "../../support/processes.js";
import { tempDir } from "../../support/tmp.js";
import { startFrontend, startPython, waitFor, waitServed, type Frontend } from "./harness.js";

const dir = tempDir();
let frontend: Frontend;
let handler: Proc;

afterAll(async () => {
  await stopAll();
  dir.cleanup();
});

beforeAll(async () => {
  frontend = await startFrontend(dir.path, { timeout: 2500 });
  handler = await startPython(["plain:app"], frontend.endpoints, {
    pythonPath: [join(ROOT, "test/python/apps")],
    workers: 2,
  });
  await waitServed(`${frontend.url}/x`);
}, 30_000);

async function get(path: string): Promise<[number, string]> {
  const res = await fetch(`${frontend.url}${path}`);
  return [res.status, await res.text()];
}

function pidsIn(output: string): Set<string> {
  return new Set([...output.matchAll(/ferry-wsgi\[(\d+)\]: ready/g)].map((m) => m[1]!));
}

describe("Python handler processes behind a frontend", () => {
  it("reloads on SIGHUP while requests flow, and every request succeeds", async () => {
    const before = pidsIn(handler.output());
    let stop = false;
    const statuses: number[] = [];
    const load = Array.from({ length: 4 }, async () => {
      while (!stop) statuses.push((await get("/during-reload"))[0]);
    });
    await new Promise((r) => setTimeout(r, 200));
    handler.child.kill("SIGHUP");
    await handler.waitFor(/reload complete/, 20_000);
    await waitFor(() => (handler.output().match(/stopped \(0\)/g) ?? []).length >= 2, 20_000);
    stop = true;
    await Promise.all(load);
    expect(statuses.length).toBeGreaterThan(20);
    expect(statuses.filter((s) => s !== 200)).toEqual([]);
    const after = pidsIn(handler.output());
    expect(after.size).toBe(before.size + 2);
    // The new workers answer now.
    const [status, body] = await get("/after-reload");
    expect(status).toBe(200);
    expect(before.has(body.split("pid=")[1]!.split(" ")[0]!)).toBe(false);
  }, 40_000);

  it("replaces a worker killed with SIGKILL", async () => {
    const [, body] = await get("/who");
    const pid = Number(body.split("pid=")[1]!.split(" ")[0]);
    const readyBefore = pidsIn(handler.output()).size;
    process.kill(pid, "SIGKILL");
    await waitFor(() => pidsIn(handler.output()).size > readyBefore, 20_000);
    for (let i = 0; i < 10; i++) expect((await get(`/again-${i}`))[0]).toBe(200);
  }, 30_000);

  it("answers 504 past the group timeout, and the worker keeps serving", async () => {
    const [status] = await get("/sleep?3");
    expect(status).toBe(504);
    const [next, body] = await get("/after-timeout");
    expect(next).toBe(200);
    expect(body).toContain("/after-timeout");
  }, 20_000);
});
