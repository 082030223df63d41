/**
 * External tools the benchmarks drive. The harness installs nothing: it reports what is missing
 * and how to install it, and skips the stacks that need it.
 */
import { spawnSync } from "node:child_process";
import { PYTHON } from "./processes.js";

export type Tool =
  "wrk" | "mongrel2" | "m2sh" | "gunicorn" | "nginx" | "python3-zmq" | "python3-flask";

const INSTALL: Record<Tool, string> = {
  wrk: "sudo apt-get install wrk",
  mongrel2: "sudo apt-get install mongrel2-core",
  m2sh: "sudo apt-get install mongrel2-core",
  gunicorn: "sudo apt-get install gunicorn",
  nginx: "sudo apt-get install nginx",
  "python3-zmq": "sudo apt-get install python3-zmq python3-msgpack",
  "python3-flask": "sudo apt-get install python3-flask",
};

function onPath(bin: string): boolean {
  return spawnSync("sh", ["-c", `command -v ${bin}`], { stdio: "ignore" }).status === 0;
}

function pythonHas(module: string): boolean {
  return spawnSync(PYTHON, ["-c", `import ${module}`], { stdio: "ignore" }).status === 0;
}

const CHECKS: Record<Tool, () => boolean> = {
  wrk: () => onPath("wrk"),
  mongrel2: () => onPath("mongrel2"),
  m2sh: () => onPath("m2sh"),
  gunicorn: () => onPath("gunicorn"),
  nginx: () => onPath("nginx"),
  "python3-zmq": () => pythonHas("zmq"),
  "python3-flask": () => pythonHas("flask"),
};

const found = new Map<Tool, boolean>();

export function have(tool: Tool): boolean {
  let ok = found.get(tool);
  if (ok === undefined) {
    ok = CHECKS[tool]();
    found.set(tool, ok);
  }
  return ok;
}

export function missing(tools: Tool[]): Tool[] {
  return tools.filter((t) => !have(t));
}

/** One line per tool: found, or how to install it. */
export function toolReport(): { lines: string[]; missing: Tool[] } {
  const all = Object.keys(CHECKS) as Tool[];
  const lines: string[] = [];
  const absent: Tool[] = [];
  for (const t of all) {
    if (have(t)) lines.push(`  ok       ${t}`);
    else {
      absent.push(t);
      lines.push(`  MISSING  ${t}: install with \`${INSTALL[t]}\``);
    }
  }
  return { lines, missing: absent };
}

/** Versions for the results file (best effort). */
export function toolVersions(): Record<string, string> {
  const first = (cmd: string) => {
    const r = spawnSync("sh", ["-c", `${cmd} 2>&1 | head -1`], { encoding: "utf8" });
    return r.stdout.trim();
  };
  return {
    node: process.version,
    wrk: have("wrk") ? first("wrk --version") : "missing",
    mongrel2: have("mongrel2") ? first("dpkg-query -W -f='${Version}' mongrel2-core") : "missing",
    gunicorn: have("gunicorn") ? first("gunicorn --version") : "missing",
    nginx: have("nginx") ? first("nginx -v") : "missing",
    python: first(`${PYTHON} --version`),
  };
}
