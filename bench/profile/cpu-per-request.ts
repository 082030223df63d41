/**
 * CPU per request of each process of one hello stack: start it, warm it up, then read utime+stime
 * (/proc/PID/stat, fields 14 and 15) of the frontend and of every handler process the stack
 * started (with their children) before and after a wrk run, and divide by the requests wrk
 * reports (bench/stack-cpu.ts; the hello scenario's CPU table measures the same way).
 * Usage: node --import tsx bench/profile/cpu-per-request.ts STACK_ID [--rate REQ_PER_S]
 *        [--duration S] [--rounds N] [--warmup S] (the hello scenario's options; build first)
 * With --rate, wrk is paced (bench/lua/paced.lua): every variant then does the same work per
 * second, so the figure does not move with how much batching saturation brings.
 */
import { parseCli } from "../cli.js";
import { cpuPerRequest, stackSnapshot } from "../stack-cpu.js";
import { helloStacks } from "../stacks/catalog.js";
import { wrk } from "../wrk.js";

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
    const before = stackSnapshot(running);
    const res = await wrk(`${running.url}/`, load);
    const cpu = cpuPerRequest(running, before, stackSnapshot(running), res.requests);
    const lines = [`${id}: ${Math.round(res.rps)} req/s, ${res.requests} requests`];
    for (const p of cpu.processes) {
      if (p.usPerRequest === 0) continue;
      const role = p.role === "frontend" ? "frontend" : p.name;
      lines.push(`  ${role} (${p.pid}): ${p.usPerRequest.toFixed(1)} us/req`);
    }
    lines.push(
      `  frontend ${cpu.frontend.toFixed(1)} + handlers ${cpu.handlers.toFixed(1)} us/req`,
    );
    lines.push(`  total: ${cpu.total.toFixed(1)} us/req`);
    process.stdout.write(lines.join("\n") + "\n");
  }
} finally {
  await running.stop();
}
