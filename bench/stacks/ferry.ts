/**
 * Ferry: the built frontend (`node bin/ferry.js frontend --config FILE`) with N handler processes
 * of one kind. The config is written per run (tcp on loopback, free ports, like the Mongrel2
 * stack, so a frontend swap changes nothing else).
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { freePorts } from "../../test/support/ports.js";
import { ferryRoot } from "../build-snapshot.js";
import { hardNofile, start, type Proc } from "../processes.js";
import { waitHttp } from "./ready.js";
import { stackTemp } from "./temp.js";
import type { Stack, StackOptions } from "./types.js";
import { FERRY_HANDLERS, type FerryHandler } from "./ferry-handlers.js";

const ferryBin = () => join(ferryRoot(), "bin", "ferry.js");
const frontendBuilt = () => join(ferryRoot(), "dist", "frontend", "main.js");

/**
 * The Node flags Ferry runs its frontend with (`ferry dev`, docker-compose.yml), if the build
 * has them.
 */
function frontendNodeFlags(): string[] {
  const file = join(ferryRoot(), "bin", "frontend-node-flags.json");
  return existsSync(file) ? (JSON.parse(readFileSync(file, "utf8")) as string[]) : [];
}

export interface FerryEndpoints {
  requests: string;
  replies: string;
  events: string;
}

function config(
  port: number,
  ends: FerryEndpoints,
  protocol: "ferry" | "mongrel2",
  extra: Record<string, unknown>,
) {
  return {
    name: "bench",
    listeners: [{ host: "127.0.0.1", port }],
    hosts: [
      {
        names: ["*"],
        default: true,
        routes: [{ path: "/", target: { kind: "handler", group: "app" } }],
      },
    ],
    groups: { app: { protocol, ...ends, ...extra } },
    // Room for the connections scenario (10,000 idle clients that stay a while).
    limits: { maxConnections: 30_000, keepAliveTimeout: 120_000 },
  };
}

const checked = new Map<string, string | undefined>();

/** `ferry check` on this stack's config: a schema change or a missing protocol shows up here. */
function configProblem(handler: FerryHandler): string | undefined {
  const key = handler.kind;
  if (checked.has(key)) return checked.get(key);
  const dir = stackTemp("check-");
  const file = join(dir, "ferry.json");
  const ends = {
    requests: "tcp://127.0.0.1:1",
    replies: "tcp://127.0.0.1:2",
    events: "tcp://127.0.0.1:3",
  };
  writeFileSync(file, JSON.stringify(config(1, ends, handler.protocol, handler.groupConfig ?? {})));
  const r = spawnSync(process.execPath, [ferryBin(), "check", file], { encoding: "utf8" });
  const out = `${r.stdout}${r.stderr}`.trim();
  let problem: string | undefined;
  if (r.status !== 0)
    problem = `ferry check refuses the bench config: ${out.split("\n").slice(0, 4).join(" | ")}`;
  else if (/not available/.test(out))
    problem = `frontend: ${out.split("\n").find((l) => /not available/.test(l))}`;
  checked.set(key, problem);
  return problem;
}

export function ferry(kind: FerryHandler["kind"], handlers = 1): Stack {
  const handler = FERRY_HANDLERS[kind];
  return {
    id: `ferry-${kind}${handlers > 1 ? `-x${handlers}` : ""}`,
    label: `Ferry + ${handler.label}${handlers > 1 ? ` x${handlers}` : ""}`,
    tools: handler.tools,
    unavailable() {
      if (!existsSync(frontendBuilt())) return "frontend not built (dist/frontend/main.js)";
      return configProblem(handler) ?? handler.unavailable();
    },
    async start(options: StackOptions = {}) {
      const dir = stackTemp("ferry-");
      const [port, rq, rp, ev] = (await freePorts(4)) as [number, number, number, number];
      const ends = {
        requests: `tcp://127.0.0.1:${rq}`,
        replies: `tcp://127.0.0.1:${rp}`,
        events: `tcp://127.0.0.1:${ev}`,
      };
      const file = join(dir, "ferry.json");
      writeFileSync(
        file,
        JSON.stringify(config(port, ends, handler.protocol, handler.groupConfig ?? {}), null, 2),
      );
      const nodeArgs = frontendNodeFlags();
      if (options.profileDir !== undefined) {
        mkdirSync(options.profileDir, { recursive: true });
        nodeArgs.push(
          "--cpu-prof",
          "--cpu-prof-dir",
          options.profileDir,
          "--cpu-prof-name",
          `frontend-${process.hrtime.bigint()}.cpuprofile`,
        );
      }
      const frontend = start(
        "ferry-frontend",
        process.execPath,
        [...nodeArgs, ferryBin(), "frontend", "--config", file],
        {
          nofile: hardNofile(),
          env: { FERRY_LOG_LEVEL: "warn", LOG_LEVEL: "warn" },
        },
      );
      const procs: Proc[] = [];
      const n = options.handlers ?? handlers;
      if (handler.forks) procs.push(handler.start(ends, 0, { ...options, handlers: n }));
      else for (let i = 0; i < n; i++) procs.push(handler.start(ends, i, options));
      const url = `http://127.0.0.1:${port}`;
      try {
        await waitHttp(`${url}/`);
      } catch (err) {
        const logs = [frontend, ...procs]
          .map((p) => `--- ${p.name}:\n${p.output().slice(-1500)}`)
          .join("\n");
        await Promise.all([frontend, ...procs].map((p) => p.stop()));
        throw new Error(`${String(err)}\n${logs}`);
      }
      return {
        url,
        frontendPid: frontend.pid,
        handlerPids: procs.map((p) => p.pid),
        killHandler(index) {
          const proc = handler.forks ? undefined : procs[index];
          if (!proc || proc.child.exitCode !== null || proc.child.signalCode !== null) return false;
          return proc.child.kill("SIGKILL");
        },
        async stop() {
          await Promise.all(procs.map((p) => p.stop()));
          await frontend.stop();
        },
      };
    },
  };
}
