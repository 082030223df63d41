/** The handler processes a Ferry stack can run (each knows how to start and whether it exists). */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { ferryRoot } from "../build-snapshot.js";
import { BENCH, NODE_TS, PYTHON, start, type Proc } from "../processes.js";
import type { Tool } from "../tools.js";
import type { FerryEndpoints } from "./ferry.js";
import type { StackOptions } from "./types.js";

export interface FerryHandler {
  kind: "ts" | "node" | "node-b1" | "wsgi" | "wsgi-p2" | "m2-node" | "m2-ts";
  label: string;
  protocol: "ferry" | "mongrel2";
  /** Extra keys for the group in the frontend config. */
  groupConfig?: Record<string, unknown>;
  tools: Tool[];
  /** One process that forks `handlers` workers itself (ferry_wsgi --workers N). */
  forks?: boolean;
  unavailable(): string | undefined;
  start(ends: FerryEndpoints, index: number, options: StackOptions): Proc;
}

const ferryBin = () => join(ferryRoot(), "bin", "ferry.js");
const sdkBuilt = () => join(ferryRoot(), "dist", "handler", "main.js");
const wsgiMain = () => join(ferryRoot(), "handler", "python", "ferry_wsgi", "__main__.py");
/** The Mongrel2 sender id Ferry's Mongrel2-mode group uses (like Mongrel2's send_ident). */
export const M2_SEND_IDENT = "f0e1d2c3-b4a5-4697-8899-aabbccddeeff";

/** Handlers log at warn: no per-request lines on the hot path (they would cost as much as work). */
export const QUIET = { FERRY_LOG_LEVEL: "warn" };

const sdkMissing = () =>
  existsSync(sdkBuilt()) ? undefined : "handler SDK not built (dist/handler/main.js)";

/**
 * `ferry handler bench/apps/ferry-hello.mjs`: the TS SDK serving the bench app. `connect` is the
 * SDK's --connect value (Ferry: REQUESTS,REPLIES,EVENTS; Mongrel2 mode: its two endpoints).
 */
export function sdkArgs(connect: string, options: StackOptions, mongrel2: boolean): string[] {
  const prof =
    options.profileDir === undefined
      ? []
      : [
          "--cpu-prof",
          "--cpu-prof-dir",
          options.profileDir,
          "--cpu-prof-name",
          `handler-${process.hrtime.bigint()}.cpuprofile`,
        ];
  const args = [
    ...prof,
    ferryBin(),
    "handler",
    join(BENCH, "apps", "ferry-hello.mjs"),
    "--connect",
    connect,
  ];
  if (mongrel2) args.push("--protocol", "mongrel2");
  if (options.capacity !== undefined) args.push("--concurrency", String(options.capacity));
  return args;
}

const connectOf = (ends: FerryEndpoints) => `${ends.requests},${ends.replies},${ends.events}`;

/** The SDK's Mongrel2 mode (issue 7) is there when its CLI mentions it. */
export function sdkMongrel2Missing(): string | undefined {
  const missing = sdkMissing();
  if (missing) return missing;
  return readFileSync(sdkBuilt(), "utf8").includes("--protocol")
    ? undefined
    : "the handler SDK has no Mongrel2 mode yet";
}

export const FERRY_HANDLERS: Record<FerryHandler["kind"], FerryHandler> = {
  ts: {
    kind: "ts",
    label: "TS handler",
    protocol: "ferry",
    tools: [],
    unavailable: sdkMissing,
    start: (ends, i, options) =>
      start(`ferry-ts-${i}`, process.execPath, sdkArgs(connectOf(ends), options, false), {
        env: QUIET,
      }),
  },
  node: {
    kind: "node",
    label: "minimal zeromq.js Ferry handler",
    protocol: "ferry",
    tools: [],
    unavailable: () => undefined,
    start: (ends, i) => {
      const [node, ...pre] = NODE_TS as [string, ...string[]];
      const app = join(BENCH, "apps", "ferry-handler.ts");
      return start(`ferry-node-${i}`, node, [...pre, app, ends.requests, ends.replies]);
    },
  },
  // The same handler declaring `batch: 1`: every request travels in a message of its own, as
  // in protocol v1, so the two rows side by side show what batches on the wire buy.
  "node-b1": {
    kind: "node-b1",
    label: "minimal zeromq.js Ferry handler, batch 1",
    protocol: "ferry",
    tools: [],
    unavailable: () => undefined,
    start: (ends, i) => {
      const [node, ...pre] = NODE_TS as [string, ...string[]];
      const app = join(BENCH, "apps", "ferry-handler.ts");
      return start(`ferry-node-b1-${i}`, node, [...pre, app, ends.requests, ends.replies, "1"]);
    },
  },
  "m2-ts": {
    kind: "m2-ts",
    label: "TS handler in Mongrel2 mode",
    protocol: "mongrel2",
    groupConfig: { sendIdent: M2_SEND_IDENT },
    tools: [],
    unavailable: sdkMongrel2Missing,
    start: (ends, i, options) =>
      start(`ferry-m2-ts-${i}`, process.execPath, sdkArgs(connectOf(ends), options, true), {
        env: QUIET,
      }),
  },
  "m2-node": {
    kind: "m2-node",
    label: "zeromq.js Mongrel2 handler",
    protocol: "mongrel2",
    groupConfig: { sendIdent: M2_SEND_IDENT },
    tools: [],
    unavailable: () => undefined,
    start: (ends, i) => {
      const [node, ...pre] = NODE_TS as [string, ...string[]];
      const app = join(BENCH, "apps", "m2-handler.ts");
      return start(`ferry-m2-node-${i}`, node, [...pre, app, ends.requests, ends.replies]);
    },
  },
  wsgi: wsgiHandler("wsgi", "Python WSGI handler", 0),
  "wsgi-p2": wsgiHandler("wsgi-p2", "Python WSGI handler, --prefetch 2", 2),
};

/** ferry_wsgi forking `handlers` workers; `prefetch` requests held per worker beyond its threads. */
function wsgiHandler(kind: "wsgi" | "wsgi-p2", label: string, prefetch: number): FerryHandler {
  return {
    kind,
    label,
    protocol: "ferry",
    tools: ["python3-zmq", "python3-flask"],
    forks: true,
    unavailable: () =>
      existsSync(wsgiMain()) ? undefined : "Python handler has no CLI yet (ferry_wsgi/__main__.py)",
    start: (ends, i, options) => {
      const args = ["-m", "ferry_wsgi", "flask_hello:app", "--connect", connectOf(ends)];
      args.push("--workers", String(options.handlers ?? 1), "--chdir", join(BENCH, "apps"));
      if (prefetch > 0) args.push("--prefetch", String(prefetch));
      return start(`ferry-${kind}-${i}`, PYTHON, args, {
        env: { ...QUIET, PYTHONPATH: join(ferryRoot(), "handler", "python") },
      });
    },
  };
}
