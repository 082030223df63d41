/**
 * `ferry frontend` (built dist) with mongrel2 groups, for interop tests: each group binds a PUSH
 * (send_spec) and a SUB (recv_spec) like Mongrel2, so a Mongrel2 handler connects unchanged.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { request as httpRequest } from "node:http";
import { freePort, freePorts } from "./ports.js";
import { startFerry, type Proc } from "./processes.js";

export interface M2GroupUnderTest {
  /** The handler PULLs from here (Mongrel2's send_spec). */
  sendSpec: string;
  /** The handler PUBs here (Mongrel2's recv_spec). */
  recvSpec: string;
}

export interface M2GroupOptions {
  /** Host names routed to this group (`*` = the default host). */
  names: string[];
  headers?: "json" | "tnetstring";
  sendIdent?: string;
  timeout?: number;
  /** The liveness window is interval x misses (Mongrel2 handlers send no heartbeats). */
  heartbeat?: { interval: number; misses: number };
}

export interface FerryM2Options {
  /** Start the control listener (`/health`, `/metrics`) too. */
  control?: boolean;
}

export interface FerryM2 {
  proc: Proc;
  port: number;
  url: string;
  /** The control listener's base URL, when asked for. */
  controlUrl?: string;
  groups: Record<string, M2GroupUnderTest>;
}

export async function startFerryM2(
  dir: string,
  groups: Record<string, M2GroupOptions>,
  options: FerryM2Options = {},
): Promise<FerryM2> {
  const port = await freePort();
  const controlPort = options.control ? await freePort() : undefined;
  const out: Record<string, M2GroupUnderTest> = {};
  const config = {
    listeners: [{ host: "127.0.0.1", port }],
    hosts: [] as unknown[],
    groups: {} as Record<string, unknown>,
    shutdown: { grace: 2000 },
    ...(controlPort !== undefined && { control: { host: "127.0.0.1", port: controlPort } }),
  };
  for (const [name, g] of Object.entries(groups)) {
    const [a, b, c] = await freePorts(3);
    out[name] = { sendSpec: `tcp://127.0.0.1:${a}`, recvSpec: `tcp://127.0.0.1:${b}` };
    config.groups[name] = {
      protocol: "mongrel2",
      requests: out[name].sendSpec,
      replies: out[name].recvSpec,
      events: `tcp://127.0.0.1:${c}`,
      headers: g.headers ?? "json",
      ...(g.sendIdent !== undefined && { sendIdent: g.sendIdent }),
      ...(g.timeout !== undefined && { timeout: g.timeout }),
      ...(g.heartbeat !== undefined && { heartbeat: g.heartbeat }),
    };
    config.hosts.push({
      names: g.names,
      default: g.names.includes("*"),
      routes: [{ path: "/", target: { kind: "handler", group: name } }],
    });
  }
  const file = join(dir, `ferry-m2-${port}.json`);
  writeFileSync(file, JSON.stringify(config));
  const proc = startFerry(["frontend", "--config", file], { env: { FERRY_LOG_LEVEL: "info" } });
  await proc.waitFor(/"msg":"listening"/, 30_000);
  if (controlPort !== undefined) await proc.waitFor(/"msg":"control listening"/, 10_000);
  return {
    proc,
    port,
    url: `http://127.0.0.1:${port}`,
    ...(controlPort !== undefined && { controlUrl: `http://127.0.0.1:${controlPort}` }),
    groups: out,
  };
}

export interface SimpleResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** A GET with a chosen Host header (fetch will not set one), on a fresh connection. */
export function getWithHost(port: number, host: string, path: string): Promise<SimpleResponse> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host: "127.0.0.1", port, path, headers: { host }, agent: false },
      (res) => {
        let body = "";
        res.setEncoding("latin1");
        res.on("data", (c: string) => (body += c));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    req.end();
  });
}
