/**
 * CPU per request of one running stack, split by role: the frontend's process tree, and the
 * trees of its handler processes. Read before and after a load run (bench/proc-stat.ts); the
 * load generator is not part of any stack, so it is never counted.
 */
import { processTable, TICK_US, ticksUsed, treeOf, type ProcStat } from "./proc-stat.js";
import type { RunningStack } from "./stacks/types.js";

export interface ProcessCpu {
  pid: number;
  name: string;
  role: "frontend" | "handler";
  usPerRequest: number;
}

export interface CpuSplit {
  frontend: number;
  handlers: number;
  total: number;
  processes: ProcessCpu[];
}

export type StackProcesses = Pick<RunningStack, "frontendPid" | "handlerPids">;

/** The stack's processes (frontend and handlers, with their children) and their CPU now. */
export function stackSnapshot(stack: StackProcesses): Map<number, ProcStat> {
  return treeOf([stack.frontendPid, ...(stack.handlerPids ?? [])], processTable());
}

/** µs of CPU per request of each process between two snapshots, summed by role. */
export function cpuPerRequest(
  stack: StackProcesses,
  before: Map<number, ProcStat>,
  after: Map<number, ProcStat>,
  requests: number,
): CpuSplit {
  const frontendTree = treeOf([stack.frontendPid], after);
  const processes: ProcessCpu[] = [];
  for (const [pid, ticks] of ticksUsed(before, after)) {
    processes.push({
      pid,
      name: after.get(pid)?.name ?? "?",
      role: frontendTree.has(pid) ? "frontend" : "handler",
      usPerRequest: requests > 0 ? (ticks * TICK_US) / requests : NaN,
    });
  }
  const sum = (role: ProcessCpu["role"]) =>
    processes.filter((p) => p.role === role).reduce((n, p) => n + p.usPerRequest, 0);
  const frontend = sum("frontend");
  const handlers = sum("handler");
  return { frontend, handlers, total: frontend + handlers, processes };
}
