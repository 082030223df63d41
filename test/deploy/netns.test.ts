/**
 * Several hosts on one machine: Linux network namespaces joined by veth pairs. The frontend runs
 * in one namespace, a handler in each of two others; the links cross the veth pairs over CURVE,
 * and HTTP requests made inside the frontend's namespace are served by both remote handlers.
 * Needs root (`ip netns add`); where namespaces cannot be made, the suite says so and is skipped.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePorts } from "../support/ports.js";
import { FERRY_BIN, start, stopAll, type Proc } from "../support/processes.js";
import { tempDir } from "../support/tmp.js";

const tag = `f${process.pid}`;
const NS = { frontend: `${tag}-fe`, a: `${tag}-ha`, b: `${tag}-hb` };
// Addresses exist only inside the namespaces this test makes.
const LINKS = [
  { ns: NS.a, front: "10.77.1.1", back: "10.77.1.2", ifFront: `${tag}a0`, ifBack: `${tag}a1` },
  { ns: NS.b, front: "10.77.2.1", back: "10.77.2.2", ifFront: `${tag}b0`, ifBack: `${tag}b1` },
];

function ip(...args: string[]): void {
  execFileSync("ip", args, { stdio: "pipe" });
}

function makeHosts(): string | undefined {
  const probe = spawnSync("ip", ["netns", "add", NS.frontend], { encoding: "utf8" });
  if (probe.status !== 0) return probe.stderr || probe.error?.message || "ip netns add failed";
  ip("netns", "add", NS.a);
  ip("netns", "add", NS.b);
  for (const ns of Object.values(NS)) ip("-n", ns, "link", "set", "lo", "up");
  for (const l of LINKS) {
    ip(
      "link",
      "add",
      l.ifFront,
      "netns",
      NS.frontend,
      "type",
      "veth",
      "peer",
      "name",
      l.ifBack,
      "netns",
      l.ns,
    );
    ip("-n", NS.frontend, "addr", "add", `${l.front}/30`, "dev", l.ifFront);
    ip("-n", l.ns, "addr", "add", `${l.back}/30`, "dev", l.ifBack);
    ip("-n", NS.frontend, "link", "set", l.ifFront, "up");
    ip("-n", l.ns, "link", "set", l.ifBack, "up");
  }
  return undefined;
}

const problem = makeHosts();
if (problem !== undefined) {
  process.stderr.write(
    `\n*** NETWORK NAMESPACE SUITE SKIPPED: cannot make namespaces here ***\n${problem}\n`,
  );
}

function inNs(ns: string, args: string[], env: Record<string, string> = {}): Proc {
  // `ip netns exec` execs the command, so the PID we hold is the program's own.
  return start("ip", ["netns", "exec", ns, process.execPath, FERRY_BIN, ...args], { env });
}

function keygen(): { pub: string; secret: string } {
  const out = execFileSync(process.execPath, [FERRY_BIN, "keygen"], { encoding: "utf8" });
  return {
    pub: /^FERRY_CURVE_PUBLIC_KEY=(.+)$/m.exec(out)![1]!,
    secret: /^FERRY_CURVE_SECRET_KEY=(.+)$/m.exec(out)![1]!,
  };
}

function curlInFrontendNs(url: string): string {
  return execFileSync("ip", ["netns", "exec", NS.frontend, "curl", "-s", "--max-time", "5", url], {
    encoding: "utf8",
  });
}

describe.skipIf(problem !== undefined)(
  "handlers on other hosts (network namespaces), over CURVE",
  () => {
    const tmp = tempDir();
    let port = 0;
    const handlerPids: number[] = [];

    beforeAll(async () => {
      const app = join(tmp.path, "app.mjs");
      writeFileSync(app, "export default { fetch: () => new Response(String(process.pid)) };\n");
      const [http, rq, rp, ev] = (await freePorts(4)) as [number, number, number, number];
      port = http;
      const frontendKeys = keygen();
      const handlerKeys = keygen();
      const frontend = inNs(NS.frontend, ["frontend"], {
        FERRY_PORT: String(port),
        FERRY_REQUESTS: `tcp://0.0.0.0:${rq}`,
        FERRY_REPLIES: `tcp://0.0.0.0:${rp}`,
        FERRY_EVENTS: `tcp://0.0.0.0:${ev}`,
        FERRY_CURVE_SECRET_KEY: frontendKeys.secret,
        FERRY_CURVE_ALLOW: handlerKeys.pub,
      });
      await frontend.waitFor(/"msg":"listening"/, 30_000);
      for (const l of LINKS) {
        const connect = `tcp://${l.front}:${rq},tcp://${l.front}:${rp},tcp://${l.front}:${ev}`;
        const handler = inNs(l.ns, ["handler", app, "--connect", connect], {
          FERRY_CURVE_SECRET_KEY: handlerKeys.secret,
          FERRY_CURVE_SERVER_KEY: frontendKeys.pub,
        });
        await handler.waitFor(/frontend connected/);
        handlerPids.push(handler.child.pid!);
      }
    }, 30_000);

    afterAll(async () => {
      await stopAll();
      for (const ns of Object.values(NS)) spawnSync("ip", ["netns", "del", ns]);
      tmp.cleanup();
    });

    it("requests cross the namespaces and both remote handlers serve them", async () => {
      const url = `http://127.0.0.1:${port}/`;
      const seen = new Set<string>();
      // Bounded: at most 400 requests or 20 s, until both handlers have answered.
      const deadline = Date.now() + 20_000;
      for (let i = 0; i < 400 && seen.size < 2 && Date.now() < deadline; i++) {
        const body = curlInFrontendNs(url);
        if (/^\d+$/.test(body)) seen.add(body);
      }
      expect([...seen].sort()).toEqual(handlerPids.map(String).sort());
    }, 30_000);
  },
);
