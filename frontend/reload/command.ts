/**
 * `ferry reload [--config FILE | --control URL | --pid-file FILE]`: make the running frontend
 * read its config again, and say how it went. Through the control listener (`POST /reload`)
 * when there is one, else by SIGHUP to the pid in the pid file, then waiting for the outcome the
 * frontend writes beside it. Exit 0: in force; 1: refused (every problem listed) or no answer;
 * 2: usage.
 */
import { FerryError } from "../errors.js";
import {
  callControlJson,
  errorLine,
  locate,
  parseCommand,
  type CommonOptions,
  type Located,
} from "../status/control-client.js";
import { readPid, readReloadResult } from "./pid-file.js";
import type { ReloadResult } from "./reloader.js";

const USAGE = `usage: ferry reload [--config FILE | --control URL | --pid-file FILE] [--timeout MS]

Through the control listener (the config's "control", or --control; token: FERRY_CONTROL_TOKEN or
control.token), else SIGHUP to the pid in the pid file (the config's pidFile, or its default).
Exit status: 0 the new config is in force, 1 it was refused (the running one stays), 2 usage.
`;

interface ReloadOptions extends CommonOptions {
  timeout: number;
}

function takeReloadOption(args: string[], i: number, o: ReloadOptions): number | undefined {
  if (args[i] === "--timeout" && args[i + 1] !== undefined && /^\d+$/.test(args[i + 1]!)) {
    o.timeout = Number(args[i + 1]);
    return i + 1;
  }
  return undefined;
}

function viaControl(at: Located, timeout: number): Promise<ReloadResult> {
  return callControlJson<ReloadResult>(at, "POST", "/reload", timeout, [200, 422]);
}

async function viaSignal(pidFile: string, timeout: number): Promise<ReloadResult> {
  const pid = readPid(pidFile);
  if (pid === undefined)
    throw new FerryError(
      "FERRY_CONTROL_UNREACHABLE",
      `no pid in ${pidFile}: is the frontend running?`,
    );
  const before = readReloadResult(pidFile);
  const seen = before?.pid === pid ? before.seq : 0;
  try {
    process.kill(pid, "SIGHUP");
  } catch (err) {
    throw new FerryError(
      "FERRY_CONTROL_UNREACHABLE",
      `cannot signal pid ${pid} (from ${pidFile}): ${(err as Error).message}`,
      { cause: err },
    );
  }
  const deadline = Date.now() + timeout;
  while (Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 50));
    const result = readReloadResult(pidFile);
    if (result !== undefined && result.pid === pid && result.seq > seen) return result;
  }
  throw new FerryError(
    "FERRY_CONTROL_UNREACHABLE",
    `pid ${pid} was signalled but wrote no reload outcome within ${timeout} ms`,
  );
}

export async function main(argv: string[]): Promise<void> {
  const o = parseCommand<ReloadOptions>(
    argv.slice(1),
    USAGE,
    { timeout: 30_000 },
    takeReloadOption,
  );
  try {
    const at = locate(o, process.env);
    const viaPid = o.pidFile !== undefined || at.control === undefined;
    if (viaPid && at.pidFile === undefined)
      throw new FerryError(
        "FERRY_CONTROL_UNREACHABLE",
        "no control listener and no pid file (pidFile is false): pass --control or --pid-file",
      );
    const result = viaPid
      ? await viaSignal(at.pidFile!, o.timeout)
      : await viaControl(at, o.timeout);
    if (result.ok) {
      process.stdout.write(
        `reloaded (#${result.seq}, ${result.ms} ms)${result.changes.length ? "" : ": no change"}\n`,
      );
      for (const c of result.changes) process.stdout.write(`  ${c}\n`);
      for (const k of result.atRestart) process.stdout.write(`  ${k}: in force after a restart\n`);
      process.exit(0);
    }
    process.stderr.write(
      `ferry: FERRY_RELOAD_FAILED: ${result.problems.length} problem${result.problems.length === 1 ? "" : "s"}; the running config stays\n`,
    );
    for (const p of result.problems)
      process.stderr.write(`  ${p.path || "(config)"}: ${p.message}\n`);
    process.exit(1);
  } catch (err) {
    process.stderr.write(errorLine(err));
    process.exit(1);
  }
}
