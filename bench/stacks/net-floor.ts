import { nodeScriptStack } from "./node-bare.js";

/**
 * The broadcast's floor: a bare `node:net` server (bench/apps/net-broadcast.mjs) that writes one
 * prebuilt response to every held /poll socket, with no HTTP parser and no per-response work. What
 * it takes is the kernel's cost of the loopback writes plus the event loop, measured in the same
 * run as the servers it bounds.
 */
export const netFloor = nodeScriptStack(
  "net-floor",
  "bare node:net, one prebuilt response (floor)",
  "net-broadcast.mjs",
);
