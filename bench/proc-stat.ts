/**
 * CPU time of processes, read from /proc/PID/stat: utime+stime (fields 14 and 15, in USER_HZ
 * ticks, all threads of the process) and the parent pid, so a process tree can be summed.
 * Used by the noise meter, the hello scenario's CPU table and bench/profile/cpu-per-request.ts.
 */
import { readdirSync, readFileSync } from "node:fs";

/** USER_HZ is 100 on Linux: one tick is 10 ms. */
export const TICK_US = 10_000;

export interface ProcStat {
  pid: number;
  /** The command name (field 2, without the parentheses). */
  name: string;
  ppid: number;
  /** utime + stime, in ticks. */
  ticks: number;
}

/** One /proc/PID/stat line; the name may hold spaces and parentheses, so it is cut at the last ")". */
export function parseStat(pid: number, text: string): ProcStat | undefined {
  const open = text.indexOf("(");
  const close = text.lastIndexOf(")");
  if (open < 0 || close < open) return undefined;
  // f[0] is field 3 (state): field N is f[N - 3].
  const f = text.slice(close + 2).split(" ");
  const ppid = Number(f[1]);
  const ticks = Number(f[11]) + Number(f[12]);
  if (!Number.isFinite(ppid) || !Number.isFinite(ticks)) return undefined;
  return { pid, name: text.slice(open + 1, close), ppid, ticks };
}

export function readStat(pid: number): ProcStat | undefined {
  try {
    return parseStat(pid, readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return undefined; // gone meanwhile
  }
}

/** Every process on the machine, by pid. */
export function processTable(): Map<number, ProcStat> {
  const all = new Map<number, ProcStat>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const s = readStat(Number(entry));
    if (s) all.set(s.pid, s);
  }
  return all;
}

/** The roots and every descendant of them found in `table`. */
export function treeOf(roots: number[], table: Map<number, ProcStat>): Map<number, ProcStat> {
  const children = new Map<number, number[]>();
  for (const s of table.values()) {
    const list = children.get(s.ppid);
    if (list) list.push(s.pid);
    else children.set(s.ppid, [s.pid]);
  }
  const out = new Map<number, ProcStat>();
  const todo = [...roots];
  while (todo.length > 0) {
    const pid = todo.pop() as number;
    const s = table.get(pid);
    if (s === undefined || out.has(pid)) continue;
    out.set(pid, s);
    todo.push(...(children.get(pid) ?? []));
  }
  return out;
}

/** The ticks each process in `after` used since `before` (processes new in `after` are left out). */
export function ticksUsed(
  before: Map<number, ProcStat>,
  after: Map<number, ProcStat>,
): Map<number, number> {
  const out = new Map<number, number>();
  for (const [pid, a] of after) {
    const b = before.get(pid);
    if (b !== undefined && b.name === a.name) out.set(pid, a.ticks - b.ticks);
  }
  return out;
}
