/**
 * The README's quick start, run as written: `npm start` (which is `node bin/ferry.js dev`) and the
 * curl line. Only the ports move, through the environment variables the README documents, so the
 * test never takes the fixed default ports. The README's test line is what CI runs itself.
 */
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { freePorts } from "../../support/ports.js";
import { ROOT, startFerry, stopAll } from "../../support/processes.js";

afterAll(stopAll);

const readme = readFileSync(join(ROOT, "README.md"), "utf8");
const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as {
  scripts: Record<string, string>;
};

/**
 * The Node flags the frontend runs with wherever Ferry starts it, from
 * bin/frontend-node-flags.json.
 */
const frontendFlags = JSON.parse(
  readFileSync(join(ROOT, "bin", "frontend-node-flags.json"), "utf8"),
) as string[];

/** Command lines of `pid`'s children, from /proc. */
function childCommandLines(pid: number): string[][] {
  const lines: string[][] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      // Field 4 (ppid) follows the command name, which is in parentheses and may hold spaces.
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      if (ppid !== pid) continue;
      lines.push(readFileSync(`/proc/${entry}/cmdline`, "utf8").split("\0").filter(Boolean));
    } catch {
      // gone meanwhile
    }
  }
  return lines;
}

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

  it("docker-compose.yml runs the frontend with the frontend's Node flags", () => {
    const compose = readFileSync(join(ROOT, "docker-compose.yml"), "utf8");
    const entrypoint = /^ {4}entrypoint: (\[.*\])$/m.exec(compose);
    expect(entrypoint).not.toBeNull();
    expect(JSON.parse(entrypoint![1]!)).toEqual(["node", ...frontendFlags, "/app/bin/ferry.js"]);
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
    // The frontend child runs with the frontend's Node flags; the handler with Node's defaults.
    const children = childCommandLines(dev.child.pid!);
    const frontend = children.find((argv) => argv.includes("frontend"));
    const handler = children.find((argv) => argv.includes("handler"));
    expect(frontend?.slice(1, 1 + frontendFlags.length)).toEqual(frontendFlags);
    for (const flag of frontendFlags) expect(handler).not.toContain(flag);
    // Ctrl-C / SIGTERM stops both processes and the launcher exits cleanly.
    expect(await dev.stop("SIGTERM")).toBe(0);
  }, 40_000);
});
