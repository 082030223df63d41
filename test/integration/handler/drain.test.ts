/**
 * Graceful drain under load: SIGTERM to a handler while requests flow. It says goodbye,
 * finishes what it holds and exits 0; a second handler takes the new work; no request fails.
 */
import { Agent, request } from "node:http";
import { afterAll, describe, expect, it } from "vitest";
import { stopAll } from "../../support/processes.js";
import { tempDir } from "../../support/tmp.js";
import { startFrontend, startHandler, tcpEndpoints, waitServed } from "./ferry.js";

const dir = tempDir();
afterAll(async () => {
  await stopAll();
  dir.cleanup();
});

interface Result {
  status: number;
  pid?: number;
  at: number;
}

function get(url: string, agent: Agent): Promise<Result> {
  return new Promise((resolve) => {
    const req = request(url, { agent }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (d: string) => (body += d));
      res.on("end", () => {
        let pid: number | undefined;
        try {
          pid = (JSON.parse(body) as { pid?: number }).pid;
        } catch {
          // not JSON: an error page; the status says what happened
        }
        resolve({ status: res.statusCode ?? 0, pid, at: Date.now() });
      });
    });
    req.on("error", () => resolve({ status: -1, at: Date.now() }));
    req.end();
  });
}

describe("graceful drain", () => {
  it("SIGTERM under load loses no request; the second handler takes new work", async () => {
    const ep = await tcpEndpoints();
    const fe = await startFrontend(dir.path, ep);
    const a = await startHandler("examples/express/app.ts", ep, ["--concurrency", "8"]);
    await waitServed(`${fe.url}/notes`);

    const agent = new Agent({ keepAlive: true, maxSockets: 16 });
    const results: Result[] = [];
    let running = true;
    const deadline = Date.now() + 20_000; // bound the load loop in time as well as by `running`
    const worker = async () => {
      while (running && Date.now() < deadline)
        results.push(await get(`${fe.url}/work?ms=15`, agent));
    };
    const workers = Array.from({ length: 16 }, () => worker());

    while (results.length < 100) await new Promise((r) => setTimeout(r, 10));
    const b = await startHandler("examples/express/app.ts", ep, ["--concurrency", "8"]);
    while (!results.some((r) => r.pid === b.child.pid)) await new Promise((r) => setTimeout(r, 10));

    const termAt = Date.now();

    const code = await a.stop("SIGTERM");
    const exitedAt = Date.now();
    expect(code).toBe(0);
    expect(a.output()).toMatch(/"msg":"draining"/);
    expect(a.output()).toMatch(/"msg":"drained"/);

    const countAfterExit = results.length;
    while (results.length < countAfterExit + 200 && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 10));
    running = false;
    await Promise.all(workers);
    agent.destroy();

    const failed = results.filter((r) => r.status !== 200);
    if (failed.length > 0) {
      const interesting = (o: string) =>
        o
          .split("\n")
          .filter((l) => !/"status":200/.test(l))
          .slice(0, 40)
          .join("\n");
      console.log(
        `A:\n${interesting(a.output())}\nB:\n${interesting(b.output())}\nFE:\n${interesting(fe.proc.output())}`,
      );
    }
    expect(failed.length).toBe(0);
    expect(results.length).toBeGreaterThan(countAfterExit + 100);
    const startedAfterExit = results.slice(countAfterExit + 16);
    expect(startedAfterExit.every((r) => r.pid === b.child.pid)).toBe(true);
    expect(results.filter((r) => r.at < termAt && r.pid === a.child.pid).length).toBeGreaterThan(0);
    expect(exitedAt - termAt).toBeLessThan(10_000);
  }, 60_000);
});
