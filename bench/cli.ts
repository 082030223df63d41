/** `npm run bench -- [scenario...] [options]` */
import type { BenchOptions } from "./options.js";

export const SCENARIOS = [
  "hello",
  "flask",
  "latency",
  "connections",
  "scaling",
  "handler-loss",
  "streaming",
] as const;
export type ScenarioName = (typeof SCENARIOS)[number];

export const USAGE = `usage: npm run bench -- [scenario...] [options]

scenarios (default: all, in this order):
  hello        req/s: bare node:http, Ferry + 1 and 2 TS handlers, Mongrel2 and Ferry with the
               same handler in Mongrel2 mode, reference Mongrel2 handlers; then CPU per request
               of every process at --cpu-rate, and p50/p99 at 50% of each stack's own req/s
  flask        req/s: Ferry + Python handler vs gunicorn (sync, gthread) vs nginx -> gunicorn
  latency      p50/p99/p99.9 at 50% of each stack's peak
  connections  frontend RSS with N idle keep-alive clients; one broadcast to N long-polls
  scaling      I/O-bound handler (20 ms) with 1, 2, 4, 8 handler processes
  handler-loss 3 handler processes under load, one SIGKILLed at 1/3 of the run, vs no kill:
               req/s, p99, max latency, errors
  streaming    bench/streaming.ts: 1 GiB up and down, peak RSS of the serving process

options:
  --duration S     seconds per measurement (10)
  --rounds N       rounds, stacks interleaved (3)
  --threads N      wrk threads (2)
  --connections N  wrk connections (64)
  --warmup S       warm-up seconds per stack (2)
  --clients N      clients in the connections scenario (10000)
  --capacity N     requests one TS handler works on at once in the scaling scenario (4)
  --cpu-rate N     fixed req/s of the hello scenario's CPU-per-request runs (3000; 0: none)
  --only ID,...    only stacks whose id contains one of these (e.g. ferry,mongrel2-py)
  --profile        CPU-profile every Ferry frontend and TS handler in the hello and flask scenarios
  --no-write       print results, write no files
  --check          only check for the external tools
  --report         write the tables, chart and docs again from today's results file (runs nothing)
`;

export interface Cli {
  scenarios: ScenarioName[];
  write: boolean;
  check: boolean;
  report: boolean;
  options: Omit<BenchOptions, "log">;
}

export function parseCli(argv: string[]): Cli {
  const scenarios: ScenarioName[] = [];
  const options: Omit<BenchOptions, "log"> = {
    durationS: 10,
    rounds: 3,
    threads: 2,
    connections: 64,
    warmupS: 2,
    clients: 10_000,
    capacity: 4,
    cpuRate: 3000,
    only: [],
    profile: false,
  };
  let write = true;
  let check = false;
  let report = false;
  const num = (flag: string, v: string | undefined): number => {
    const n = Number(v);
    if (v === undefined || !Number.isFinite(n) || n < 0)
      throw new Error(`${flag} needs a number\n\n${USAGE}`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    const next = () => argv[++i];
    switch (a) {
      case "--duration":
        options.durationS = num(a, next());
        break;
      case "--rounds":
        options.rounds = Math.max(1, Math.round(num(a, next())));
        break;
      case "--threads":
        options.threads = Math.max(1, Math.round(num(a, next())));
        break;
      case "--connections":
        options.connections = Math.max(1, Math.round(num(a, next())));
        break;
      case "--warmup":
        options.warmupS = num(a, next());
        break;
      case "--clients":
        options.clients = Math.max(1, Math.round(num(a, next())));
        break;
      case "--capacity":
        options.capacity = Math.max(1, Math.round(num(a, next())));
        break;
      case "--cpu-rate":
        options.cpuRate = Math.round(num(a, next()));
        break;
      case "--only":
        options.only = (next() ?? "").split(",").filter(Boolean);
        break;
      case "--profile":
        options.profile = true;
        break;
      case "--no-write":
        write = false;
        break;
      case "--report":
        report = true;
        break;
      case "--check":
        check = true;
        break;
      case "-h":
      case "--help":
        throw new Error(USAGE);
      default:
        if ((SCENARIOS as readonly string[]).includes(a)) scenarios.push(a as ScenarioName);
        else throw new Error(`unknown argument ${a}\n\n${USAGE}`);
    }
  }
  options.connections = Math.max(options.connections, options.threads);
  return {
    scenarios: scenarios.length > 0 ? scenarios : [...SCENARIOS],
    write,
    check,
    report,
    options,
  };
}
