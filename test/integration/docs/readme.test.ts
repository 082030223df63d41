/**
 * The README's quick start, run as written: `npm start` (which is `node bin/ferry.js dev`) and the
 * curl line. Only the ports move, through the environment variables the README documents, so the
 * test never takes the fixed default ports. The README's test line is what CI runs itself.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { freePorts } from "../../support/ports.js";
import { ROOT, startFerry, stopAll } from "../../support/processes.js";

afterAll(stopAll);

const readme = readFileSync(join(ROOT, "README.md"), "utf8");
const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as {
  scripts: Record<string, string>;
};

async function waitServed(url: string, deadline = Date.now() + 20_000): Promise<Response> {
  for (;;) {
    try {
      const res = await fetch(url);
      if (res.status !== 503) return res;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`${url} not served in time`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe("README quick start", () => {
  it("says npm install && npm start, and npm start is the dev launcher", () => {
    expect(readme).toContain("npm install && npm start");
    expect(pkg.scripts.start).toBe("node bin/ferry.js dev");
  });

  it("names the test command that .ci/run runs", () => {
    const ci = readFileSync(join(ROOT, ".ci/run"), "utf8");
    const line = /^bash test\/setup\.sh && npm test$/m;
    expect(readme).toMatch(line);
    expect(ci).toMatch(line);
  });

  it("serves the hello example at / (the curl line)", async () => {
    const [port, rq, rp, ev] = (await freePorts(4)) as [number, number, number, number];
    const dev = startFerry(["dev"], {
      env: {
        FERRY_PORT: String(port),
        FERRY_REQUESTS: `tcp://127.0.0.1:${rq}`,
        FERRY_REPLIES: `tcp://127.0.0.1:${rp}`,
        FERRY_EVENTS: `tcp://127.0.0.1:${ev}`,
      },
    });
    const curl = /curl (http:\/\/127\.0\.0\.1:6767\/\S*)/.exec(readme);
    expect(curl).not.toBeNull();
    const url = curl![1]!.replace(":6767", `:${port}`);
    const res = await waitServed(url);
    expect(res.status).toBe(200);
    const expected = /# → (.+)$/m.exec(readme)?.[1];
    expect(await res.text()).toBe(`${expected}\n`);
    // Ctrl-C / SIGTERM stops both processes and the launcher exits cleanly.
    expect(await dev.stop("SIGTERM")).toBe(0);
  }, 40_000);
});
