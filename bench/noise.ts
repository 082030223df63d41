/**
 * How busy the machine was with work that is not this benchmark: once a second, total busy CPU
 * (/proc/stat) minus the CPU of this process and its descendants (/proc/PID/stat). On a shared
 * machine this is the figure that says whether a sample can be trusted; it is stored per sample.
 */
import { readFileSync } from "node:fs";
import { processTable, TICK_US, treeOf } from "./proc-stat.js";

const HZ = 1e6 / TICK_US; // USER_HZ

interface Tick {
  at: number;
  /** Cores' worth of CPU used by other processes since the previous tick. */
  foreign: number;
}

const ticks: Tick[] = [];
let timer: NodeJS.Timeout | undefined;
let last: { at: number; busy: number; ours: Map<number, number> } | undefined;

function machineBusy(): number {
  const line = readFileSync("/proc/stat", "utf8").split("\n", 1)[0] ?? "";
  const f = line.trim().split(/\s+/).slice(1).map(Number);
  const total = f.slice(0, 8).reduce((a, b) => a + b, 0);
  return total - (f[3] ?? 0) - (f[4] ?? 0);
}

/** utime+stime (ticks) of this process and every descendant, by pid. */
function ourCpu(): Map<number, number> {
  const ours = new Map<number, number>();
  for (const [pid, s] of treeOf([process.pid], processTable())) ours.set(pid, s.ticks);
  return ours;
}

function sample(): void {
  const at = Date.now();
  const busy = machineBusy();
  const ours = ourCpu();
  if (last) {
    let ourDelta = 0;
    for (const [pid, t] of ours) ourDelta += t - (last.ours.get(pid) ?? 0);
    const seconds = (at - last.at) / 1000;
    if (seconds > 0)
      ticks.push({ at, foreign: Math.max(0, busy - last.busy - ourDelta) / HZ / seconds });
  }
  last = { at, busy, ours };
}

export function startNoiseMeter(): void {
  if (timer) return;
  sample();
  timer = setInterval(sample, 1000);
  timer.unref();
}

/**
 * Mean cores used by other processes between two Date.now() times (NaN if unmeasured). The first
 * tick is left out: a process of ours that exited just before `from` is not seen in it.
 */
export function foreignLoad(from: number, to: number): number {
  const xs = ticks.filter((t) => t.at > from + 1000 && t.at <= to).map((t) => t.foreign);
  return xs.length === 0 ? NaN : xs.reduce((a, b) => a + b, 0) / xs.length;
}
