/**
 * The repository's own docker-compose.yml, for real: build both images, bring the stack up with
 * the TypeScript handler scaled to 3, send traffic to the frontend on loopback, and check that
 * every replica served requests (the frontend's access log names the handler of each request)
 * and that the Python handler answers too.
 *
 * Tests may only reach loopback, so the suite runs the compose file less its published ports and
 * private network, plus a generated override: host networking, a config on free 127.0.0.1 ports,
 * and the local base images of test/deploy/engine.sh (no registry here). The published compose
 * file keeps its private network for users.
 * Where no Docker engine can run, this suite says so and is reported as skipped.
 */
import { execFile, spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePorts } from "../support/ports.js";
import { ROOT } from "../support/processes.js";
import { tempDir } from "../support/tmp.js";

const run = promisify(execFile);
const ENGINE = join(ROOT, "test/deploy/engine.sh");
const PROJECT = `ferrydeploy${process.pid}`;
const BUILD_MINUTES = 15; // first run on a fresh machine: base images + npm install in the image

// Start (or find) the engine while the file is collected, so a missing one shows as a skip.
const engine = spawnSync("bash", [ENGINE, "start"], { encoding: "utf8" });
const engineReady = engine.status === 0;
if (!engineReady) {
  console.warn(
    `\n*** DEPLOYMENT SUITE SKIPPED: no Docker engine can run on this machine ***\n${engine.stderr}\n` +
      "Install Debian's docker.io and docker-compose and run as root (test/setup.sh does).\n",
  );
}

const tmp = tempDir("ferry-compose-");
const STACK = join(tmp.path, "stack.json");
const OVERRIDE = join(tmp.path, "override.yml");
const compose = (args: string[], timeoutMs = 120_000) =>
  run(
    "docker-compose",
    ["-p", PROJECT, "--project-directory", ROOT, "-f", STACK, "-f", OVERRIDE, ...args],
    {
      cwd: ROOT,
      timeout: timeoutMs,
      maxBuffer: 64 * 1024 * 1024,
      env: { ...process.env, DOCKER_BUILDKIT: "0" },
    },
  ).catch((err: { message: string; stdout?: string }) => {
    // A failed build explains itself on stdout (compiler errors, npm errors): show its end.
    throw new Error(`${err.message}\n--- stdout (end) ---\n${(err.stdout ?? "").slice(-4000)}`);
  });

/**
 * docker-compose.yml as it is, less what host networking forbids: published ports and the
 * private network (an override can add keys but not remove them). docker-compose is written in
 * Python with PyYAML, so wherever this suite runs, that reads the file.
 */
async function writeStack(): Promise<void> {
  const script = [
    "import json, sys, yaml",
    "stack = yaml.safe_load(open(sys.argv[1]))",
    "for service in stack['services'].values(): service.pop('ports', None); service.pop('networks', None)",
    "stack.pop('networks', None)",
    "json.dump(stack, open(sys.argv[2], 'w'), indent=2)",
  ].join("\n");
  await run("/usr/bin/python3", ["-c", script, join(ROOT, "docker-compose.yml"), STACK]);
}

interface Ports {
  http: number;
  control: number;
  node: number[];
  python: number[];
}

function writeStackFiles(ports: Ports): void {
  const group = (p: number[]) => ({
    requests: `tcp://127.0.0.1:${p[0]}`,
    replies: `tcp://127.0.0.1:${p[1]}`,
    events: `tcp://127.0.0.1:${p[2]}`,
  });
  const config = {
    name: "ferry",
    listeners: [{ host: "127.0.0.1", port: ports.http }],
    hosts: [
      {
        names: ["*"],
        routes: [
          { path: "/py", target: { kind: "handler", group: "python" } },
          { path: "/", target: { kind: "handler", group: "node" } },
        ],
      },
    ],
    groups: { node: group(ports.node), python: group(ports.python) },
    control: { host: "127.0.0.1", port: ports.control },
  };
  writeFileSync(join(tmp.path, "ferry.json"), JSON.stringify(config, null, 2));
  const connect = (p: number[]) => p.map((port) => `tcp://127.0.0.1:${port}`).join(",");
  // JSON is YAML: no YAML library needed to write the override.
  const override = {
    version: "3.8",
    services: {
      frontend: {
        build: { network: "host", args: { BASE_IMAGE: "ferry-local/node:24-bookworm-slim" } },
        image: "ferry-deploy-test/ferry:latest",
        network_mode: "host",
        // FERRY_HOST: the image says 0.0.0.0 (for containers); here, loopback only.
        environment: {
          FERRY_HOST: "127.0.0.1",
          FERRY_HEALTH_URL: `http://127.0.0.1:${ports.control}/health`,
        },
        volumes: [`${join(tmp.path, "ferry.json")}:/etc/ferry/ferry.json:ro`],
        restart: "no",
        healthcheck: { interval: "2s" }, // the image's own check, run more often
      },
      handler: {
        image: "ferry-deploy-test/ferry:latest",
        network_mode: "host",
        environment: { FERRY_CONNECT: connect(ports.node) },
        restart: "no",
        healthcheck: { interval: "2s" },
      },
      "python-handler": {
        build: { network: "host", args: { BASE_IMAGE: "ferry-local/debian:bookworm-slim" } },
        image: "ferry-deploy-test/ferry-python:latest",
        network_mode: "host",
        environment: { FERRY_CONNECT: connect(ports.python) },
        restart: "no",
        healthcheck: { interval: "2s" },
      },
    },
  };
  writeFileSync(OVERRIDE, JSON.stringify(override, null, 2));
}

interface GroupStatus {
  name: string;
  live: number;
}

async function health(port: number): Promise<GroupStatus[] | undefined> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/health`);
    return ((await res.json()) as { groups: GroupStatus[] }).groups;
  } catch {
    return undefined;
  }
}

async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  timeoutMs: number,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = await probe();
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  const logs = await compose(["logs", "--no-color", "--tail", "40"]).then((r) => r.stdout, String);
  throw new Error(`timed out waiting for ${what}; stack logs:\n${logs}`);
}

describe.skipIf(!engineReady)(
  "docker compose: the repository's stack, handlers scaled to 3",
  () => {
    let ports: Ports;

    beforeAll(
      async () => {
        const [http, control, ...zmq] = await freePorts(8);
        ports = { http: http!, control: control!, node: zmq.slice(0, 3), python: zmq.slice(3, 6) };
        writeStackFiles(ports);
        await writeStack();
        await run("bash", [ENGINE, "base"], { timeout: BUILD_MINUTES * 60_000 });
        await compose(["build"], BUILD_MINUTES * 60_000);
        await compose(["up", "-d", "--no-build", "--scale", "handler=3"], 180_000);
        await waitFor(
          "3 node handlers and a python handler live",
          async () => {
            const groups = await health(ports.control);
            const live = (name: string) => groups?.find((g) => g.name === name)?.live ?? 0;
            return live("node") >= 3 && live("python") >= 1 ? true : undefined;
          },
          60_000,
        );
      },
      (2 * BUILD_MINUTES + 5) * 60_000,
    );

    afterAll(async () => {
      await compose(["down", "--timeout", "10", "--remove-orphans"], 120_000).catch(
        (err: unknown) => console.warn("docker-compose down failed:", err),
      );
      tmp.cleanup();
    }, 150_000);

    it("spreads requests over all 3 TypeScript handlers", async () => {
      const total = 300;
      const bodies: string[] = [];
      for (let batch = 0; batch < total / 10; batch++) {
        const replies = await Promise.all(
          Array.from({ length: 10 }, async (_, i) => {
            const res = await fetch(`http://127.0.0.1:${ports.http}/?name=r${batch * 10 + i}`);
            return `${res.status} ${await res.text()}`;
          }),
        );
        bodies.push(...replies);
      }
      expect(bodies.filter((b) => b.startsWith("200 Hello, r"))).toHaveLength(total);

      // The frontend logs one access line per request, naming the handler (hid) that served it.
      const hids = await waitFor(
        "access lines for every request",
        async () => {
          const { stdout } = await compose(["logs", "--no-color", "frontend"]);
          const served = new Map<string, number>();
          for (const line of stdout.split("\n")) {
            const json = line.slice(line.indexOf("{"));
            if (!json.startsWith("{")) continue;
            try {
              const entry = JSON.parse(json) as {
                type?: string;
                path?: string;
                hid?: string;
                status?: number;
              };
              if (
                entry.type === "access" &&
                entry.path?.startsWith("/?name=r") &&
                entry.hid &&
                entry.status === 200
              ) {
                served.set(entry.hid, (served.get(entry.hid) ?? 0) + 1);
              }
            } catch {
              // not a log line of ours
            }
          }
          const count = [...served.values()].reduce((a, b) => a + b, 0);
          return count >= total ? served : undefined;
        },
        20_000,
      );
      expect(hids.size).toBe(3);
      for (const n of hids.values()) expect(n).toBeGreaterThan(0);
    });

    it("serves the Flask app through the Python handler under /py", async () => {
      const res = await fetch(`http://127.0.0.1:${ports.http}/py/hello?name=compose`);
      expect(res.status).toBe(200);
      expect(await res.text()).toBe("Hello, compose!");
    });

    it("reports every container healthy", async () => {
      const { stdout } = await compose(["ps", "-q"]);
      const ids = stdout.split("\n").filter(Boolean);
      expect(ids).toHaveLength(5);
      await waitFor(
        "health checks to pass",
        async () => {
          const { stdout: states } = await run("docker", [
            "inspect",
            "-f",
            "{{.State.Health.Status}}",
            ...ids,
          ]);
          const all = states.split("\n").filter(Boolean);
          return all.every((s) => s === "healthy") ? all : undefined;
        },
        30_000,
      );
    }, 60_000);
  },
);

afterAll(() => {
  // Stop the engine only if engine.sh started it (it keeps that PID); a user's engine stays up.
  spawnSync("bash", [ENGINE, "stop"], { stdio: "inherit" });
});
