import { join } from "node:path";
import { freePort } from "../../test/support/ports.js";
import { BENCH, hardNofile, start } from "../processes.js";
import { waitHttp } from "./ready.js";
import type { Stack } from "./types.js";

/** A one-process server from bench/apps, started as `node SCRIPT PORT` (it prints "listening"). */
export function nodeScriptStack(id: string, label: string, script: string): Stack {
  return {
    id,
    label,
    tools: [],
    async start() {
      const port = await freePort();
      const proc = start(id, process.execPath, [join(BENCH, "apps", script), String(port)], {
        nofile: hardNofile(),
      });
      await proc.waitFor(/listening/);
      const url = `http://127.0.0.1:${port}`;
      await waitHttp(`${url}/`);
      return { url, frontendPid: proc.pid, stop: () => proc.stop() };
    },
  };
}

export const nodeBare = nodeScriptStack("node-bare", "bare node:http", "node-hello.mjs");
