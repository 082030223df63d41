/** The handler processes a Ferry stack can run (each knows how to start and whether it exists). */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { BENCH, NODE_TS, PYTHON, ROOT, start, type Proc } from "../processes.js";
import type { Tool } from "../tools.js";
import type { FerryEndpoints } from "./ferry.js";
import type { StackOptions } from "./types.js";

export interface FerryHandler {
  kind: "ts" | "wsgi" | "m2-node" | "m2-ts";
  label: string;
  protocol: "ferry" | "mongrel2";
  /** Extra keys for the group in the frontend config. */
  groupConfig?: Record<string, unknown>;
  tools: Tool[];
  unavailable(): string | undefined;
  start(ends: FerryEndpoints, index: number, options: StackOptions): Proc;
}

const FERRY_BIN = join(ROOT, "bin", "ferry.js");
const SDK_BUILT = join(ROOT, "dist", "handler", "main.js");
const WSGI_PACKAGE = join(ROOT, "handler", "python", "ferry_wsgi");
/** The Mongrel2 sender id Ferry's Mongrel2-mode group uses (like Mongrel2's send_ident). */
export const M2_SEND_IDENT = "f0e1d2c3-b4a5-4697-8899-aabbccddeeff";

const sdkMissing = () =>
  existsSync(SDK_BUILT) ? undefined : "handler SDK not built (dist/handler/main.js)";

/** The TS SDK serving bench/apps/ferry-hello.ts (compiled on the fly by tsx). */
function sdkArgs(ends: FerryEndpoints, options: StackOptions, mongrel2: boolean): string[] {
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
    ...NODE_TS.slice(1),
    FERRY_BIN,
    "handler",
    join(BENCH, "apps", "ferry-hello.ts"),
  ];
  args.push("--requests", ends.requests, "--replies", ends.replies, "--events", ends.events);
  if (mongrel2) args.push("--protocol", "mongrel2");
  if (options.capacity !== undefined) args.push("--capacity", String(options.capacity));
  return args;
}

export const FERRY_HANDLERS: Record<FerryHandler["kind"], FerryHandler> = {
  ts: {
    kind: "ts",
    label: "TS handler",
    protocol: "ferry",
    tools: [],
    unavailable: sdkMissing,
    start: (ends, i, options) =>
      start(`ferry-ts-${i}`, process.execPath, sdkArgs(ends, options, false)),
  },
  "m2-ts": {
    kind: "m2-ts",
    label: "TS handler in Mongrel2 mode",
    protocol: "mongrel2",
    groupConfig: { sendIdent: M2_SEND_IDENT },
    tools: [],
    unavailable: sdkMissing,
    start: (ends, i, options) =>
      start(`ferry-m2-ts-${i}`, process.execPath, sdkArgs(ends, options, true)),
  },
  "m2-node": {
    kind: "m2-node",
    label: "zeromq.js Mongrel2 handler (Mongrel2 mode)",
    protocol: "mongrel2",
    groupConfig: { sendIdent: M2_SEND_IDENT },
    tools: [],
    unavailable: () => undefined,
    start: (ends, i) => {
      const [node, ...args] = NODE_TS as [string, ...string[]];
      return start(`ferry-m2-node-${i}`, node, [
        ...args,
        join(BENCH, "apps", "m2-handler.ts"),
        ends.requests,
        ends.replies,
      ]);
    },
  },
  wsgi: {
    kind: "wsgi",
    label: "Python WSGI handler",
    protocol: "ferry",
    tools: ["python3-zmq", "python3-flask"],
    unavailable: () =>
      existsSync(WSGI_PACKAGE)
        ? undefined
        : "Python handler not there yet (handler/python/ferry_wsgi)",
    start: (ends, i) =>
      start(
        `ferry-wsgi-${i}`,
        PYTHON,
        [
          "-m",
          "ferry_wsgi",
          "flask_hello:app",
          "--requests",
          ends.requests,
          "--replies",
          ends.replies,
          "--events",
          ends.events,
        ],
        {
          env: { PYTHONPATH: [join(ROOT, "handler", "python"), join(BENCH, "apps")].join(":") },
        },
      ),
  },
};
