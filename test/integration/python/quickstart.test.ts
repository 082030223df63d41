/**
 * docs/python.md's two commands (the frontend's built-in config, the handler's defaults), with
 * only the ports moved by environment variables; then a graceful stop through a real frontend:
 * a response being streamed when the handler gets SIGTERM still completes, and it exits 0.
 */
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePorts } from "../../support/ports.js";
import { PYTHON, ROOT, start, startFerry, stopAll, type Proc } from "../../support/processes.js";
import { PACKAGE_DIR, waitServed } from "./harness.js";

afterAll(stopAll);

describe("Flask behind Ferry in two commands", () => {
  let url: string;
  let handler: Proc;

  beforeAll(async () => {
    const [port, rq, rp, ev] = (await freePorts(4)) as [number, number, number, number];
    const ends = {
      FERRY_REQUESTS: `tcp://127.0.0.1:${rq}`,
      FERRY_REPLIES: `tcp://127.0.0.1:${rp}`,
      FERRY_EVENTS: `tcp://127.0.0.1:${ev}`,
    };
    url = `http://127.0.0.1:${port}`;
    const frontend = startFerry(["frontend"], {
      env: { FERRY_PORT: String(port), ...ends, FERRY_LOG_LEVEL: "info" },
    });
    // Listening first: a frontend that cannot bind fails here, with its own output.
    await frontend.waitFor(/"msg":"listening"/, 20_000);
    handler = start(
      PYTHON,
      ["-m", "ferry_wsgi", "app:app", "--chdir", join(ROOT, "examples/flask")],
      {
        env: {
          PYTHONPATH: PACKAGE_DIR,
          FERRY_CONNECT: `${ends.FERRY_REQUESTS},${ends.FERRY_REPLIES},${ends.FERRY_EVENTS}`,
        },
      },
    );
    await handler.waitFor(/ready/, 20_000);
    await waitServed(`${url}/hello`);
  }, 30_000);

  it("serves the app", async () => {
    const res = await fetch(`${url}/hello?name=Ferry`);
    expect(res.status).toBe(200);
    expect(await res.text()).toBe("Hello, Ferry!");
  });

  it("finishes a streaming response on SIGTERM, then exits 0", async () => {
    const res = await fetch(`${url}/stream?n=40`); // about 0.4 s of chunks
    expect(res.status).toBe(200);
    handler.child.kill("SIGTERM");
    const body = await res.text();
    expect(body).toBe(Array.from({ length: 40 }, (_, i) => `chunk ${i}\n`).join(""));
    expect(await handler.exited).toBe(0);
    expect(handler.output()).toMatch(/SIGTERM: draining workers[\s\S]*all workers stopped/);
  });
});
