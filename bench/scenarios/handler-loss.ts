/**
 * 6. Handler loss: three handler processes of a Ferry stack under load; in one run of each pair a
 * handler is SIGKILLed at a third of the run, in the other nothing happens (the baseline). The
 * requests the dead handler had taken are lost with it, and those still in its ZeroMQ pipe are
 * re-sent by the frontend when the requests socket reports the disconnect, or else when the
 * heartbeat window runs out: the run's max latency shows which of the two it was.
 */
import { emptyResult, startOne, type Candidate } from "../measure.js";
import type { BenchOptions } from "../options.js";
import type { Row, ScenarioResult } from "../report/types.js";
import { handlerLossStacks } from "../stacks/catalog.js";
import { foreignLoad } from "../noise.js";
import { max, median, min, rotate } from "../stats.js";
import { errorCount, wrk, type WrkResult } from "../wrk.js";

export const HANDLERS = 3;
/** Fewer than the other scenarios' 64: 32 requests in flight over three handlers. */
export const CONNECTIONS = 32;
/** The frontend's default heartbeat window (3 misses x 1000 ms), the slow path of a re-send. */
export const HEARTBEAT_WINDOW_MS = 3000;

type Mode = "baseline" | "kill";

interface Sample {
  w: WrkResult;
  /** Whether the handler was killed (it may have exited before, e.g. failed to start). */
  killed: boolean;
}

/** One wrk run on a fresh stack; with `kill`, handler 0 gets SIGKILL at a third of the run. */
async function measure(
  c: Candidate,
  mode: Mode,
  opts: BenchOptions,
  result: ScenarioResult,
): Promise<{ label: string; sample: Sample } | undefined> {
  const s = await startOne({ ...c, options: { ...c.options, handlers: HANDLERS } }, opts, result);
  if (!s) return undefined;
  const load = { threads: opts.threads, connections: CONNECTIONS };
  try {
    if (mode === "kill" && s.running.killHandler === undefined)
      throw new Error(`${s.id} cannot kill one of its handlers`);
    await wrk(`${s.running.url}/`, { ...load, durationS: 1 });
    let killed = false;
    const timer =
      mode === "kill"
        ? setTimeout(
            () => (killed = s.running.killHandler?.(0) ?? false),
            (opts.durationS * 1000) / 3,
          )
        : undefined;
    const t0 = Date.now();
    const w = await wrk(`${s.running.url}/`, { ...load, durationS: opts.durationS });
    clearTimeout(timer);
    w.foreignLoad = foreignLoad(t0, Date.now());
    return { label: s.label, sample: { w, killed } };
  } finally {
    await s.running.stop();
  }
}

function row(id: string, label: string, samples: Sample[]): Row {
  const rs = samples.map((x) => x.w);
  const rps = rs.map((r) => r.rps);
  const out: Row = {
    id,
    label,
    median: median(rps),
    min: min(rps),
    max: max(rps),
    samples: rps,
    extra: {
      "p99 ms": median(rs.map((r) => r.latency.p99)),
      "max ms": median(rs.map((r) => r.latency.max)),
      errors: median(rs.map(errorCount)),
      "other load": median(rs.map((r) => r.foreignLoad ?? NaN)),
    },
  };
  const notKilled = samples.filter((x) => id.endsWith(" kill") && !x.killed).length;
  if (notKilled > 0) out.warning = `the handler was not killed in ${notKilled} run(s)`;
  return out;
}

export async function handlerLoss(opts: BenchOptions): Promise<ScenarioResult> {
  const third = (opts.durationS / 3).toFixed(1);
  const result = emptyResult(
    "handler-loss",
    `One of ${HANDLERS} handler processes killed under load`,
    "req/s",
    true,
    `wrk -t${opts.threads} -c${CONNECTIONS} -d${opts.durationS}s GET / on ${HANDLERS} handler processes; "killed": one ` +
      `handler gets SIGKILL ${third} s into the run, "no kill": the same run untouched. Each run on a fresh stack ` +
      `after a 1 s warm-up, ${opts.rounds} rounds interleaved; medians over rounds of req/s, p99, max latency ` +
      `(over the whole run) and errors (non-2xx, timeouts, socket errors).`,
  );
  const idOf = (c: Candidate) => c.id ?? c.stack.id;
  const cands = handlerLossStacks(opts).filter(
    (c) => opts.only.length === 0 || opts.only.some((s) => idOf(c).includes(s)),
  );
  const modes: Mode[] = ["baseline", "kill"];
  const runs = cands.flatMap((c) =>
    modes.map((mode) => ({
      c,
      mode,
      id: `${idOf(c)} x${HANDLERS}${mode === "kill" ? " kill" : ""}`,
    })),
  );
  const samples = new Map<string, Sample[]>();
  const labels = new Map<string, string>();
  for (let round = 0; round < opts.rounds; round++) {
    for (const r of rotate(runs, round)) {
      if (result.skipped.some((s) => s.id === idOf(r.c))) continue;
      const m = await measure(r.c, r.mode, opts, result);
      if (!m) continue;
      labels.set(
        r.id,
        `${m.label} x${HANDLERS}, ${r.mode === "kill" ? "one killed at 1/3" : "no kill"}`,
      );
      samples.set(r.id, [...(samples.get(r.id) ?? []), m.sample]);
      const w = m.sample.w;
      opts.log(
        `  round ${round + 1} ${r.id}: ${Math.round(w.rps)} req/s, p99 ${w.latency.p99.toFixed(1)} ms, ` +
          `max ${w.latency.max.toFixed(0)} ms, ${errorCount(w)} errors${r.mode === "kill" && !m.sample.killed ? " (not killed)" : ""}`,
      );
    }
  }
  for (const r of runs) {
    const ss = samples.get(r.id);
    if (ss) result.rows.push(row(r.id, labels.get(r.id) ?? r.id, ss));
  }
  for (const c of cands) {
    const base = result.rows.find((x) => x.id === `${idOf(c)} x${HANDLERS}`);
    const kill = result.rows.find((x) => x.id === `${idOf(c)} x${HANDLERS} kill`);
    if (!base || !kill) continue;
    const name = c.label ?? c.stack.label;
    if (base.median > 0)
      result.ratios.push({
        name: `${name}: req/s killed / no kill`,
        value: kill.median / base.median,
      });
    const baseMax = base.extra["max ms"] ?? NaN;
    const killMax = kill.extra["max ms"] ?? NaN;
    if (baseMax > 0)
      result.ratios.push({
        name: `${name}: max latency killed / no kill`,
        value: killMax / baseMax,
      });
    result.limits.push({
      name: `${name}: max latency with one of ${HANDLERS} handlers killed`,
      value: killMax,
      unit: "ms",
      target: { op: "<", value: HEARTBEAT_WINDOW_MS },
      pass: killMax < HEARTBEAT_WINDOW_MS,
    });
  }
  result.notes.push(
    `max latency under the heartbeat window (${HEARTBEAT_WINDOW_MS} ms) means the requests the dead ` +
      "handler held were re-sent when its disconnect was seen, not when its heartbeats stopped",
  );
  return result;
}
