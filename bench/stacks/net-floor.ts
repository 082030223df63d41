import { join } from "node:path";
import { freePort } from "../../test/support/ports.js";
import { BENCH, hardNofile, start } from "../processes.js";
import { waitHttp } from "./ready.js";
import type { Stack } from "./types.js";

/**
 * The broadcast's floor: a bare `node:net` server (bench/apps/net-broadcast.mjs) that writes one
 * prebuilt response to every held /poll socket, with no HTTP parser and no per-response work. What
 * it takes is the kernel's cost of the loopback writes plus the event loop, measured in the same
 * run as the servers it bounds.
 */
export const netFloor: Stack = {
  id: "net-floor",
  label: "bare node:net, one prebuilt response (floor)",
  tools: [],
  async start() {
    const port = await freePort();
    const script = join(BENCH, "apps", "net-broadcast.mjs");
    const proc = start("net-floor", process.execPath, [script, String(port)], {
      nofile: hardNofile(),
    });
    await proc.waitFor(/listening/);
    const url = `http://127.0.0.1:${port}`;
    await waitHttp(`${url}/`);
    return { url, frontendPid: proc.pid, stop: () => proc.stop() };
  },
};
