/**
 * Reloads: read the config again (the same file and environment overrides as at start),
 * validate it, plan, and put it in force (apply.ts). One at a time: a reload asked for while one
 * runs starts when it ends. A library: it emits `reloaded` with each ReloadResult; main.ts logs.
 */
import { EventEmitter } from "node:events";
import { loadConfig, type Env } from "../config/load.js";
import { ConfigError, isFerryError, type ConfigProblem } from "../errors.js";
import type { Frontend } from "../server.js";
import { applyReload, type Retiring } from "./apply.js";
import { planReload } from "./plan.js";

export type ReloadTrigger = "signal" | "control" | "api";

export interface ReloadResult {
  /** Counts up from 1 for each reload of this process. */
  readonly seq: number;
  readonly ok: boolean;
  readonly trigger: ReloadTrigger;
  /** ISO time the reload finished. */
  readonly time: string;
  readonly ms: number;
  /** Why it was refused, each with its config path (empty when ok). */
  readonly problems: readonly ConfigProblem[];
  readonly changes: readonly string[];
  /** Changed keys that take effect only at the next start. */
  readonly atRestart: readonly string[];
}

export interface ReloadSource {
  /** The config file the frontend started with (undefined: the built-in default). */
  readonly file: string | undefined;
  readonly env: Env;
}

export class Reloader extends EventEmitter {
  readonly counts = { ok: 0, failed: 0 };
  last: ReloadResult | undefined;
  private seq = 0;
  private queue: Promise<unknown> = Promise.resolve();
  private readonly retiring: Retiring = new Map();

  constructor(
    private readonly frontend: Frontend,
    readonly source: ReloadSource,
  ) {
    super();
  }

  /** Reload now (after any reload under way). Never rejects: a refusal is a result. */
  reload(trigger: ReloadTrigger): Promise<ReloadResult> {
    const run = this.queue.then(() => this.run(trigger));
    this.queue = run;
    return run;
  }

  private async run(trigger: ReloadTrigger): Promise<ReloadResult> {
    const started = performance.now();
    let problems: ConfigProblem[] = [];
    let changes: string[] = [];
    let atRestart: string[] = [];
    try {
      const { config } = loadConfig({ file: this.source.file, env: this.source.env });
      const plan = planReload(this.frontend.config, config, [...this.retiring.values()]);
      changes = plan.changes;
      atRestart = plan.atRestart;
      if (plan.problems.length > 0) throw new ConfigError(plan.problems, this.source.file);
      await applyReload(this.frontend, config, plan, this.retiring);
    } catch (err) {
      problems = problemsOf(err);
    }
    const ok = problems.length === 0;
    if (ok) this.counts.ok++;
    else this.counts.failed++;
    const result: ReloadResult = {
      seq: ++this.seq,
      ok,
      trigger,
      time: new Date().toISOString(),
      ms: Math.round(performance.now() - started),
      problems,
      changes: ok ? changes : [],
      atRestart: ok ? atRestart : [],
    };
    this.last = result;
    this.emit("reloaded", result);
    return result;
  }
}

function problemsOf(err: unknown): ConfigProblem[] {
  if (err instanceof ConfigError) return [...err.problems];
  if (isFerryError(err)) return [{ path: "", message: `${err.code}: ${err.message}` }];
  return [{ path: "", message: err instanceof Error ? err.message : String(err) }];
}
