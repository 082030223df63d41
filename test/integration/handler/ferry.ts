/**
 * Real Ferry processes for the SDK's end-to-end tests: `ferry frontend` with a config written
 * here, and `ferry handler MODULE` (both from the built dist/, as users run them).
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { request, type Agent } from "node:http";
import { freePort, freePorts } from "../../support/ports.js";
import { startFerry, type Proc } from "../../support/processes.js";
import type { FrontendEndpoints } from "../../../handler/index.js";

export async function tcpEndpoints(): Promise<FrontendEndpoints> {
  const [a, b, c] = await freePorts(3);
  return {
    requests: `tcp://127.0.0.1:${a}`,
    replies: `tcp://127.0.0.1:${b}`,
    events: `tcp://127.0.0.1:${c}`,
  };
}

export interface Frontend {
  proc: Proc;
  url: string;
  port: number;
}

/** Heartbeat interval (ms) the test processes use: short, so a lost handler is noticed soon. */
export const HEARTBEAT_MS = 400;

export async function startFrontend(
  dir: string,
  ep: FrontendEndpoints,
  group: Record<string, unknown> = {},
  extra: Record<string, unknown> = {},
): Promise<Frontend> {
  const port = await freePort();
  const config = {
    listeners: [{ host: "127.0.0.1", port }],
    hosts: [
      { names: ["*"], routes: [{ path: "/", target: { kind: "handler", group: "default" } }] },
    ],
    groups: { default: { ...ep, heartbeat: { interval: HEARTBEAT_MS }, ...group } },
    ...extra,
  };
  const file = join(dir, `frontend-${port}.json`);
  writeFileSync(file, JSON.stringify(config));
  const proc = startFerry(["frontend", "--config", file], { env: { FERRY_LOG_LEVEL: "info" } });
  // Rejects with the output if the frontend exits (a bad config, a port taken meanwhile).
  await proc.waitFor(/"msg":"listening"/, 30_000);
  return { proc, url: `http://127.0.0.1:${port}`, port };
}

export async function startHandler(
  module: string,
  ep: FrontendEndpoints,
  args: string[] = [],
  env: Record<string, string> = {},
): Promise<Proc> {
  const proc = startFerry(
    [
      "handler",
      module,
      "--connect",
      `${ep.requests},${ep.replies},${ep.events}`,
      "--heartbeat",
      String(HEARTBEAT_MS),
      ...args,
    ],
    { env },
  );
  await proc.waitFor(/handler ready/);
  return proc;
}

/** Status of GET url (0 when nothing listens yet). */
export function status(url: string, agent: Agent | false = false): Promise<number> {
  return new Promise((resolve) => {
    const req = request(url, { agent }, (res) => {
      res.resume();
      res.on("end", () => resolve(res.statusCode ?? 0));
    });
    req.on("error", () => resolve(0));
    req.end();
  });
}

export async function waitFor(
  check: () => Promise<boolean> | boolean,
  timeoutMs = 15_000,
  what?: () => string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out${what ? `: ${what()}` : ""}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Until `url` is answered by a handler (not the frontend's 503 for "no handler"). */
export function waitServed(url: string, timeoutMs = 15_000): Promise<void> {
  return waitFor(async () => {
    const s = await status(url);
    return s !== 0 && s !== 503;
  }, timeoutMs);
}
