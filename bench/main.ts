/**
 * `npm run bench -- [scenario...] [options]`: checks the external tools, runs the scenarios
 * (stacks side by side, rounds interleaved), prints the tables and writes bench/results/ and
 * docs/performance.md. See cli.ts for the options.
 */
import { execSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { cpus, totalmem } from "node:os";
import { join } from "node:path";
import { removeSnapshot, snapshotBuild } from "./build-snapshot.js";
import { startNoiseMeter } from "./noise.js";
import { parseCli, type Cli } from "./cli.js";
import type { BenchOptions } from "./options.js";
import { stopAll, stopAllOnExit, ROOT } from "./processes.js";
import { summariseFile } from "./profile/summarise.js";
import { markdown } from "./report/markdown.js";
import type { RunResult, ScenarioResult } from "./report/types.js";
import { RESULTS, rewriteReport, writeResults } from "./report/write.js";
import { connections } from "./scenarios/connections.js";
import { flask } from "./scenarios/flask.js";
import { handlerLoss } from "./scenarios/handler-loss.js";
import { hello } from "./scenarios/hello.js";
import { latency } from "./scenarios/latency.js";
import { scaling } from "./scenarios/scaling.js";
import { streaming } from "./scenarios/streaming.js";
import { cleanTemps } from "./stacks/temp.js";
import { have, toolReport, toolVersions } from "./tools.js";

function sh(cmd: string): string {
  try {
    return execSync(cmd, {
      cwd: ROOT,
      encoding: "utf8",
      stdio: ["ignore", "pipe", "ignore"],
    }).trim();
  } catch {
    return "unknown";
  }
}

function environment(): Record<string, string | number> {
  return {
    cpu: cpus()[0]?.model.trim() ?? "unknown",
    cores: cpus().length,
    memory: `${Math.round(totalmem() / 2 ** 30)} GiB`,
    kernel: sh("uname -r"),
    ...toolVersions(),
  };
}

async function runScenarios(cli: Cli, opts: BenchOptions): Promise<Record<string, ScenarioResult>> {
  const out: Record<string, ScenarioResult> = {};
  const peaks = new Map<string, number>();
  for (const name of cli.scenarios) {
    opts.log(`\n== ${name}`);
    const needsWrk = name !== "connections" && name !== "streaming";
    if (needsWrk && !have("wrk")) {
      opts.log("  skipped: wrk is missing");
      continue;
    }
    let r: ScenarioResult;
    switch (name) {
      case "hello":
        r = await hello(opts);
        for (const row of r.rows) peaks.set(row.id, row.median);
        break;
      case "flask":
        r = await flask(opts);
        break;
      case "latency":
        r = await latency(opts, peaks);
        break;
      case "connections":
        r = await connections(opts);
        break;
      case "scaling":
        r = await scaling(opts);
        break;
      case "handler-loss":
        r = await handlerLoss(opts);
        break;
      case "streaming":
        r = await streaming(opts);
        break;
    }
    if (opts.profile && (name === "hello" || name === "flask" || name === "latency"))
      r.notes.push("run with --profile: the Ferry processes ran under the V8 profiler (slower)");
    out[name] = r;
    cleanTemps();
  }
  return out;
}

async function main(argv: string[]): Promise<number> {
  let cli: Cli;
  try {
    cli = parseCli(argv);
  } catch (err) {
    const message = (err as Error).message;
    process.stderr.write(message + "\n");
    return message.startsWith("usage:") ? 0 : 2;
  }
  const tools = toolReport();
  process.stdout.write(`external tools:\n${tools.lines.join("\n")}\n`);
  if (tools.missing.length > 0)
    process.stdout.write("stacks that need a missing tool are skipped.\n");
  if (cli.check) return 0;
  if (cli.report) {
    const files = rewriteReport(new Date().toISOString().slice(0, 10));
    process.stdout.write(
      files
        ? `wrote ${files.md}, ${files.svg} and docs/performance.md\n`
        : "no results file for today\n",
    );
    return files ? 0 : 1;
  }

  stopAllOnExit();
  startNoiseMeter();
  // Measure the build as it is now, even if dist/ is rebuilt during the run.
  snapshotBuild();
  process.once("exit", removeSnapshot);
  const profileDir = join(RESULTS, "tmp", `profile-${Date.now()}`);
  const opts: BenchOptions = { ...cli.options, log: (m) => process.stdout.write(m + "\n") };
  const withProfile = cli.options.profile ? { ...opts, profileDir } : opts;
  const started = new Date();
  let scenarios: Record<string, ScenarioResult>;
  try {
    scenarios = await runScenarios(cli, withProfile);
  } finally {
    await stopAll();
    cleanTemps();
    removeSnapshot();
  }
  const commit =
    sh("git rev-parse --short HEAD") +
    (sh("git status --porcelain -- frontend handler protocol") ? "+dirty" : "");
  const command = argv.length > 0 ? `npm run bench -- ${argv.join(" ")}` : "npm run bench";
  for (const r of Object.values(scenarios))
    r.ranBy = { command, commit, at: started.toISOString().slice(0, 16) + "Z" };
  const run: RunResult = {
    date: started.toISOString().slice(0, 10),
    command,
    commit,
    env: environment(),
    options: { ...cli.options, scenarios: cli.scenarios },
    scenarios,
  };
  process.stdout.write("\n" + markdown(run) + "\n");
  if (cli.options.profile) {
    try {
      for (const stack of readdirSync(profileDir))
        for (const f of readdirSync(join(profileDir, stack)))
          process.stdout.write("\n" + summariseFile(join(profileDir, stack, f), 20) + "\n");
    } catch {
      process.stdout.write(`no profiles in ${profileDir}\n`);
    }
  }
  if (cli.write) {
    const files = writeResults(run);
    process.stdout.write(
      `\nwrote ${files.json}, ${files.md}, ${files.svg} and docs/performance.md\n`,
    );
  }
  return 0;
}

process.exitCode = await main(process.argv.slice(2));
