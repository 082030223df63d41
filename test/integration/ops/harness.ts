/**
 * A frontend whose config file the test rewrites and reloads, with its control listener: the
 * processes are real (`ferry frontend` from dist, test handlers over ipc), so are the clients.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { freePort } from "../../support/ports.js";
import { start, startFerry, type Proc } from "../../support/processes.js";
import type { Endpoints } from "../frontend/harness.js";
import type { ReloadResult as ReloadAnswer } from "../../../frontend/reload/reloader.js";
import type { StatusDoc as StatusAnswer } from "../../../frontend/status/snapshot.js";

export interface OpsFrontend {
  proc: Proc;
  file: string;
  port: number;
  url: string;
  control: string;
  pidFile: string;
  write(config: Record<string, unknown>): void;
  /** POST /reload; the answer's status and JSON body. */
  reload(): Promise<{ status: number; body: ReloadAnswer }>;
  status(): Promise<StatusAnswer>;
}

/** The document `GET /status` answers, as the frontend types it. */
export type { StatusAnswer };

/** `ferry frontend --config FILE` with FILE written from `config` plus a control listener. */
export async function startOpsFrontend(
  dir: string,
  config: (port: number) => Record<string, unknown>,
  options: { env?: Record<string, string>; controlHost?: string } = {},
): Promise<OpsFrontend> {
  const port = await freePort();
  const controlPort = await freePort();
  const file = join(dir, `ferry-${port}.json`);
  const pidFile = join(dir, `ferry-${port}.pid`);
  const control = `http://127.0.0.1:${controlPort}`;
  const write = (c: Record<string, unknown>): void =>
    writeFileSync(
      file,
      JSON.stringify({
        pidFile,
        control: { host: options.controlHost ?? "127.0.0.1", port: controlPort },
        shutdown: { grace: 3000 },
        ...c,
      }),
    );
  write(config(port));
  const proc = startFerry(["frontend", "--config", file], {
    env: { FERRY_LOG_LEVEL: "info", ...options.env },
  });
  await proc.waitFor(/"msg":"control listening/, 30_000);
  const headers = (): Record<string, string> =>
    options.env?.FERRY_CONTROL_TOKEN
      ? { authorization: `Bearer ${options.env.FERRY_CONTROL_TOKEN}` }
      : {};
  return {
    proc,
    file,
    port,
    url: `http://127.0.0.1:${port}`,
    control,
    pidFile,
    write,
    async reload() {
      const res = await fetch(`${control}/reload`, { method: "POST", headers: headers() });
      return { status: res.status, body: (await res.json()) as ReloadAnswer };
    },
    async status() {
      const res = await fetch(`${control}/status`, { headers: headers() });
      if (res.status !== 200) throw new Error(`GET /status: ${res.status}`);
      return (await res.json()) as StatusAnswer;
    },
  };
}

/** The echo/delay test handler (test/support/test-handler.ts) on `endpoints`. */
export function startTestHandler(
  endpoints: Endpoints,
  options: { hid?: string; interval?: number } = {},
): Proc {
  const args = ["--import", "tsx", "test/support/test-handler.ts"];
  args.push("--requests", endpoints.requests, "--replies", endpoints.replies);
  args.push("--events", endpoints.events, "--interval", String(options.interval ?? 200));
  if (options.hid) args.push("--hid", options.hid);
  return start(process.execPath, args);
}

/** Until `check` is true (polled), or throw after `timeoutMs`. */
export async function until(
  what: string,
  check: () => boolean | Promise<boolean>,
  timeoutMs = 15_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
