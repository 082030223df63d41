/** 2. Flask hello: Ferry + the Python handler against gunicorn and nginx -> gunicorn. */
import {
  emptyResult,
  ratioOf,
  startAll,
  stopAllStarted,
  throughputRounds,
  throughputRow,
} from "../measure.js";
import type { BenchOptions } from "../options.js";
import type { ScenarioResult } from "../report/types.js";
import { flaskStacks } from "../stacks/catalog.js";

export async function flask(opts: BenchOptions): Promise<ScenarioResult> {
  const result = emptyResult(
    "flask",
    "Flask hello",
    "req/s",
    true,
    `The same Flask app (bench/apps/flask_hello.py) under each server; wrk -t${opts.threads} ` +
      `-c${opts.connections} -d${opts.durationS}s GET /, ${opts.rounds} rounds interleaved; median (min-max).`,
  );
  const started = await startAll(flaskStacks(opts), opts, result);
  try {
    const samples = await throughputRounds(started, "/", opts);
    for (const s of started)
      result.rows.push(throughputRow(s.id, s.label, samples.get(s.id) ?? []));
  } finally {
    await stopAllStarted(started);
  }
  ratioOf(result, "Ferry + Python handler / gunicorn 2 sync", "ferry-wsgi", "gunicorn-sync-2", {
    op: ">=",
    value: 1.2,
  });
  ratioOf(
    result,
    "Ferry + Python handler with --prefetch 2 / gunicorn 2 sync",
    "ferry-wsgi-p2",
    "gunicorn-sync-2",
    { op: ">=", value: 1.2 },
  );
  ratioOf(
    result,
    "Ferry + Python handler / gunicorn gthread",
    "ferry-wsgi",
    "gunicorn-gthread-2x4",
  );
  ratioOf(
    result,
    "Ferry + Python handler / nginx -> gunicorn 2 sync",
    "ferry-wsgi",
    "nginx-gunicorn-sync-2",
  );
  return result;
}
