import { join } from "node:path";
import { freePort } from "../../test/support/ports.js";
import { BENCH, hardNofile, start } from "../processes.js";
import { waitHttp } from "./ready.js";
import type { Stack } from "./types.js";

export const nodeBare: Stack = {
  id: "node-bare",
  label: "bare node:http",
  tools: [],
  async start() {
    const port = await freePort();
    const script = join(BENCH, "apps", "node-hello.mjs");
    const proc = start("node-bare", process.execPath, [script, String(port)], {
      nofile: hardNofile(),
    });
    await proc.waitFor(/listening/);
    const url = `http://127.0.0.1:${port}`;
    await waitHttp(`${url}/`);
    return { url, frontendPid: proc.pid, stop: () => proc.stop() };
  },
};
