/** Handlers behind a real Mongrel2: two references written for the bench, and the TS SDK. */
import { join } from "node:path";
import { BENCH, NODE_TS, PYTHON, start } from "../processes.js";
import { QUIET, sdkArgs, sdkMongrel2Missing } from "./ferry-handlers.js";
import type { M2Handler } from "./mongrel2.js";

export const m2Python: M2Handler = {
  id: "py",
  label: "Python handler (python3-zmq)",
  tools: ["python3-zmq"],
  ready: /handler ready/,
  start: (send, recv, i) =>
    start(`m2-py-${i}`, PYTHON, [join(BENCH, "apps", "m2_handler.py"), send, recv]),
};

export const m2Node: M2Handler = {
  id: "node",
  label: "zeromq.js Mongrel2 handler",
  tools: [],
  ready: /handler ready/,
  start: (send, recv, i) => {
    const [node, ...args] = NODE_TS as [string, ...string[]];
    return start(`m2-node-${i}`, node, [...args, join(BENCH, "apps", "m2-handler.ts"), send, recv]);
  },
};

/** The TS SDK in Mongrel2 mode serving bench/apps/ferry-hello.mjs: the same handler as Ferry's. */
export const m2Sdk: M2Handler = {
  id: "ts",
  label: "TS handler in Mongrel2 mode",
  tools: [],
  unavailable: sdkMongrel2Missing,
  start: (send, recv, i, options) =>
    start(`m2-ts-${i}`, process.execPath, sdkArgs(`${send},${recv}`, options, true), {
      env: QUIET,
    }),
};
