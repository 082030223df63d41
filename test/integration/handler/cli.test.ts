/**
 * `ferry handler` as users run it: the hello example by its .ts source path (mapped to dist/)
 * behind a real frontend, FERRY_CONNECT, usage errors.
 */
import { afterAll, describe, expect, it } from "vitest";
import { startFerry, stopAll } from "../../support/processes.js";
import { tempDir } from "../../support/tmp.js";
import { startFrontend, tcpEndpoints, waitServed } from "./ferry.js";

const dir = tempDir();
afterAll(async () => {
  await stopAll();
  dir.cleanup();
});

describe("ferry handler", () => {
  it("serves examples/hello/index.ts (its compiled twin) with FERRY_CONNECT, and drains on SIGTERM", async () => {
    const ep = await tcpEndpoints();
    const fe = await startFrontend(dir.path, ep);
    const h = startFerry(["handler", "examples/hello/index.ts"], {
      env: { FERRY_CONNECT: `${ep.requests},${ep.replies},${ep.events}`, FERRY_HEARTBEAT: "400" },
    });
    const ready = await h.waitFor(/\{[^\n]*"msg":"handler ready"[^\n]*\}/);
    expect(JSON.parse(ready)).toMatchObject({
      module: expect.stringMatching(/dist\/examples\/hello\/index\.js$/),
      concurrency: 64,
    });
    await waitServed(`${fe.url}/`);
    const res = await fetch(`${fe.url}/greet?name=ferry`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/plain; charset=utf-8");
    expect(await res.text()).toBe("Hello, ferry! (GET /greet)\n");
    expect(await h.stop("SIGTERM")).toBe(0);
  });

  it("exits 2 with a message for a module that does not exist, or a bad option", async () => {
    const missing = startFerry(["handler", "./no/such/app.js"]);
    expect(await missing.exited).toBe(2);
    expect(missing.output()).toMatch(/no such file/);
    const bad = startFerry(["handler", "examples/hello/index.ts", "--concurrency", "zero"]);
    expect(await bad.exited).toBe(2);
    expect(bad.output()).toMatch(/--concurrency must be an integer 1\.\.65536/);
    // Past what hello can carry (interval 100..60,000 ms).
    const fast = startFerry(["handler", "examples/hello/index.ts", "--heartbeat", "50"]);
    expect(await fast.exited).toBe(2);
    expect(fast.output()).toMatch(/--heartbeat must be an integer 100\.\.60000/);
    // One past what capacity can carry: concurrency + prefetch is at most 65,536.
    const deep = startFerry([
      "handler",
      "examples/hello/index.ts",
      "--concurrency",
      "64",
      "--prefetch",
      "65473",
    ]);
    expect(await deep.exited).toBe(2);
    expect(deep.output()).toMatch(/--prefetch must be an integer 0\.\.65472/);
  });
});
