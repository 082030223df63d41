/** Which stacks each scenario compares. Ids are what ratios and `--only` refer to. */
import { cpus } from "node:os";
import { join } from "node:path";
import type { Candidate } from "../measure.js";
import type { BenchOptions } from "../options.js";
import { ferry } from "./ferry.js";
import { gunicorn, nginxGunicorn } from "./gunicorn.js";
import { m2Node, m2Python, m2Sdk } from "./m2-handlers.js";
import { mongrel2 } from "./mongrel2.js";
import { netFloor } from "./net-floor.js";
import { nodeBare } from "./node-bare.js";

/**
 * With `--profile`, every Ferry stack's processes (frontend and TS handlers) run under the V8
 * profiler, each stack writing into its own folder named by its id.
 */
function profiled(opts: BenchOptions, list: Candidate[]): Candidate[] {
  const dir = opts.profileDir;
  if (dir === undefined) return list;
  return list.map((c) =>
    c.stack.id.startsWith("ferry")
      ? { ...c, options: { ...c.options, profileDir: join(dir, c.id ?? c.stack.id) } }
      : c,
  );
}

export function helloStacks(opts: BenchOptions): Candidate[] {
  return profiled(opts, [
    { stack: nodeBare },
    { stack: ferry("ts") },
    { stack: ferry("ts", 2) },
    { stack: ferry("node") },
    { stack: ferry("node-b1") },
    { stack: mongrel2(m2Sdk) },
    { stack: ferry("m2-ts") },
    { stack: mongrel2(m2Node) },
    { stack: ferry("m2-node") },
    { stack: mongrel2(m2Python) },
  ]);
}

export function flaskStacks(opts: BenchOptions): Candidate[] {
  return profiled(opts, [
    { stack: ferry("wsgi"), options: { handlers: cpus().length } },
    { stack: ferry("wsgi-p2"), options: { handlers: cpus().length } },
    { stack: gunicorn({ workers: 2 }) },
    { stack: gunicorn({ workers: 2, threads: 4 }) },
    { stack: nginxGunicorn({ workers: 2 }) },
  ]);
}

/** Latency at half of peak: the hello stacks that matter for the targets. */
export function latencyStacks(opts: BenchOptions): Candidate[] {
  const keep = new Set([
    "node-bare",
    "ferry-ts",
    "mongrel2-ts",
    "ferry-m2-ts",
    "mongrel2-node",
    "ferry-m2-node",
    "mongrel2-py",
  ]);
  return helloStacks(opts).filter((c) => keep.has(c.stack.id));
}

/** Frontends holding many connections: the frontend process's RSS is what is measured. */
export function connectionStacks(_opts: BenchOptions): Candidate[] {
  return [
    { stack: nodeBare },
    { stack: ferry("ts") },
    { stack: mongrel2(m2Node) },
    { stack: mongrel2(m2Python) },
    { stack: netFloor },
  ];
}

/** I/O-bound handlers: capacity per process is the CLI's --capacity (sync Python: 1). */
export function scalingStacks(opts: BenchOptions): Candidate[] {
  const capacity = { capacity: opts.capacity };
  return [
    { stack: ferry("ts"), options: capacity },
    { stack: ferry("wsgi") },
    { stack: mongrel2(m2Python) },
    { stack: gunicorn({ workers: 1 }), id: "gunicorn-sync", label: "gunicorn sync workers" },
  ];
}

/** Three handler processes of one kind, one of which the handler-loss scenario kills. */
export function handlerLossStacks(_opts: BenchOptions): Candidate[] {
  return [{ stack: ferry("ts") }, { stack: ferry("node") }];
}
