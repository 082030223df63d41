/**
 * CPU per request of each process of one hello stack: start it, warm it up, then read utime+stime
 * (/proc/PID/stat, fields 14 and 15) of the frontend and every process the stack started before
 * and after a wrk run, and divide by the requests wrk reports.
 * Usage: node --import tsx bench/profile/cpu-per-request.ts STACK_ID [--rate REQ_PER_S]
 *        [--duration S] [--rounds N] [--warmup S] (the hello scenario's options; build first)
 * With --rate, wrk is paced (bench/lua/paced.lua): every variant then does the same work per
 * second, so the figure does not move with how much batching saturation brings.
 */
import { readdirSync, readFileSync } from "node:fs";
import { parseCli } from "../cli.js";
import { helloStacks } from "../stacks/catalog.js";
import { wrk } from "../wrk.js";

const TICK_US = 10_000; // USER_HZ = 100

interface ProcStat {
  name: string;
  ppid: number;
  ticks: number;
}

function stat(pid: number): ProcStat | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, "utf8");
    const close = text.lastIndexOf(")");
    const name = text.slice(text.indexOf("(") + 1, close);
    const f = text.slice(close + 2).split(" ");
    // f[0] is field 3 (state): field N is f[N - 3].
    return { name, ppid: Number(f[1]), ticks: Number(f[11]) + Number(f[12]) };
  } catch {
    return undefined;
  }
}

/** Every live descendant of this process (the stack's frontend and handlers, and their forks). */
function descendants(): Map<number, ProcStat> {
  const all = new Map<number, ProcStat>();
  for (const entry of readdirSync("/proc")) {
    const pid = Number(entry);
    if (!Number.isInteger(pid)) continue;
    const s = stat(pid);
    if (s) all.set(pid, s);
  }
  const out = new Map<number, ProcStat>();
  const seen = new Set([process.pid]);
  let grew = true;
  while (grew) {
    grew = false;
    for (const [pid, s] of all) {
      if (!seen.has(pid) && seen.has(s.ppid)) {
        seen.add(pid);
        out.set(pid, s);
        grew = true;
      }
    }
  }
  return out;
}

const [id, ...rest] = process.argv.slice(2);
if (id === undefined) throw new Error("usage: cpu-per-request STACK_ID [--rate N] [--duration S]");
const r = rest.indexOf("--rate");
const rate = r === -1 ? undefined : Number(rest.splice(r, 2)[1]);
const opts = { ...parseCli(["hello", ...rest]).options, log: () => {} };
const candidate = helloStacks(opts).find((c) => (c.id ?? c.stack.id) === id);
if (candidate === undefined) throw new Error(`no hello stack ${id}`);
const running = await candidate.stack.start(candidate.options);
const load = {
  threads: opts.threads,
  connections: opts.connections,
  durationS: opts.durationS,
  ...(rate !== undefined && { rate }),
};
try {
  await wrk(`${running.url}/`, { ...load, durationS: opts.warmupS });
  for (let round = 0; round < opts.rounds; round++) {
    const before = descendants();
    const res = await wrk(`${running.url}/`, load);
    const after = descendants();
    const lines = [`${id}: ${Math.round(res.rps)} req/s, ${res.requests} requests`];
    let total = 0;
    for (const [pid, a] of after) {
      const b = before.get(pid);
      if (b === undefined || a.name === "wrk") continue;
      const us = ((a.ticks - b.ticks) * TICK_US) / res.requests;
      if (a.ticks === b.ticks) continue;
      total += us;
      const role = pid === running.frontendPid ? "frontend" : a.name;
      lines.push(`  ${role} (${pid}): ${us.toFixed(1)} us/req`);
    }
    lines.push(`  total: ${total.toFixed(1)} us/req`);
    process.stdout.write(lines.join("\n") + "\n");
  }
} finally {
  await running.stop();
}
