/**
 * Real processes for the Python handler's integration tests: `ferry frontend` (built dist/) with a
 * config written here, and `python3 -m ferry_wsgi` (Debian's Python) connected to it.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { freePort, freePorts } from "../../support/ports.js";
import { PYTHON, ROOT, start, startFerry, type Proc } from "../../support/processes.js";

export interface Endpoints {
  requests: string;
  replies: string;
  events: string;
}

export interface Frontend {
  proc: Proc;
  url: string;
  /** Endpoints of the group behind `/` and `/app`. */
  endpoints: Endpoints;
  groups: Record<string, Endpoints>;
}

export const PACKAGE_DIR = join(ROOT, "handler/python");

export async function tcpEndpoints(): Promise<Endpoints> {
  const [a, b, c] = await freePorts(3);
  return {
    requests: `tcp://127.0.0.1:${a}`,
    replies: `tcp://127.0.0.1:${b}`,
    events: `tcp://127.0.0.1:${c}`,
  };
}

export function connectArg(ep: Endpoints): string {
  return `${ep.requests},${ep.replies},${ep.events}`;
}

/**
 * A frontend whose routes `/` and `/app` both lead to one handler group: apps see SCRIPT_NAME ""
 * or "/app". `more` adds groups of their own, each at its route prefix (`{ "/t4": "four" }`);
 * their endpoints are in `groups`.
 */
export async function startFrontend(
  dir: string,
  group: Record<string, unknown> = {},
  more: Record<string, string> = {},
): Promise<Frontend> {
  const names = ["py", ...new Set(Object.values(more))];
  const groups: Record<string, Endpoints> = {};
  for (const name of names) groups[name] = await tcpEndpoints();
  const port = await freePort();
  const to = (name: string) => ({ kind: "handler", group: name });
  const routes = [
    { path: "/", target: to("py") },
    { path: "/app", target: to("py") },
    ...Object.entries(more).map(([path, name]) => ({ path, target: to(name) })),
  ];
  const config = {
    listeners: [{ host: "127.0.0.1", port }],
    hosts: [{ names: ["*"], routes }],
    groups: Object.fromEntries(
      names.map((name) => [name, { ...groups[name], heartbeat: { interval: 200 }, ...group }]),
    ),
    shutdown: { grace: 5000 },
  };
  const file = join(dir, `frontend-${port}.json`);
  writeFileSync(file, JSON.stringify(config));
  const proc = startFerry(["frontend", "--config", file], { env: { FERRY_LOG_LEVEL: "info" } });
  const url = `http://127.0.0.1:${port}`;
  // Rejects with the frontend's output if it exits first (a bad config, a port taken meanwhile),
  // rather than polling a port nobody will open.
  await proc.waitFor(/"msg":"listening"/, 30_000);
  return { proc, url, endpoints: groups.py!, groups };
}

/** `python3 -m ferry_wsgi ARGS...`, resolved once every worker printed its ready line. */
export async function startPython(
  args: string[],
  ep: Endpoints,
  options: { pythonPath?: string[]; workers?: number; env?: Record<string, string> } = {},
): Promise<Proc> {
  const workers = options.workers ?? 1;
  const pythonPath = [PACKAGE_DIR, ...(options.pythonPath ?? [])].join(":");
  const proc = start(
    PYTHON,
    [
      "-m",
      "ferry_wsgi",
      ...args,
      "--connect",
      connectArg(ep),
      "--workers",
      String(workers),
      "--heartbeat",
      "200",
    ],
    { env: { PYTHONPATH: pythonPath, PYTHONDONTWRITEBYTECODE: "1", ...options.env } },
  );
  await proc.waitFor(
    new RegExp(`(ready \\(worker \\d+/${workers}\\)[^\\n]*\\n[\\s\\S]*){${workers}}`),
    20_000,
  );
  return proc;
}

export async function statusOf(url: string): Promise<number> {
  try {
    const res = await fetch(url, { redirect: "manual" });
    await res.arrayBuffer();
    return res.status;
  } catch {
    return 0;
  }
}

export async function waitFor(
  check: () => Promise<boolean> | boolean,
  timeoutMs = 15_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Until `url` is answered by a handler, not by the frontend's 503 for "no live handler". */
export function waitServed(url: string, timeoutMs = 15_000): Promise<void> {
  return waitFor(async () => {
    const s = await statusOf(url);
    return s !== 0 && s !== 503;
  }, timeoutMs);
}
