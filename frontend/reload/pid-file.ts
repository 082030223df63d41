/**
 * The pid file `ferry reload` finds a running frontend by, and beside it the outcome of the last
 * reload (`<pid file>.reload.json`), which `ferry reload` waits for after its SIGHUP.
 */
import { readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Env } from "../config/load.js";
import type { ReloadResult } from "./reloader.js";

/** `ferry-<name>.pid` in $XDG_RUNTIME_DIR, else in the temp directory. */
export function defaultPidFile(name: string, env: Env): string {
  return join(env.XDG_RUNTIME_DIR || tmpdir(), `ferry-${name}.pid`);
}

/** The pid file a config names (undefined when it says false). */
export function pidFileOf(
  config: { name: string; pidFile?: string | false },
  env: Env,
): string | undefined {
  if (config.pidFile === false) return undefined;
  return config.pidFile ?? defaultPidFile(config.name, env);
}

export function resultFileOf(pidFile: string): string {
  return `${pidFile}.reload.json`;
}

/** Written whole (temp file + rename), so a reader never sees half of it. */
function writeAtomic(file: string, text: string): void {
  const temp = `${file}.${process.pid}.tmp`;
  writeFileSync(temp, text);
  renameSync(temp, file);
}

export function writePidFile(file: string): void {
  writeAtomic(file, `${process.pid}\n`);
  rmSync(resultFileOf(file), { force: true });
}

export function readPid(file: string): number | undefined {
  try {
    const pid = Number(readFileSync(file, "utf8").trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** Remove the pid file, if it still names this process (another frontend may have taken it). */
export function removePidFile(file: string): void {
  if (readPid(file) !== process.pid) return;
  rmSync(file, { force: true });
  rmSync(resultFileOf(file), { force: true });
}

export function writeReloadResult(pidFile: string, result: ReloadResult): void {
  writeAtomic(resultFileOf(pidFile), JSON.stringify({ pid: process.pid, ...result }) + "\n");
}

export function readReloadResult(pidFile: string): (ReloadResult & { pid: number }) | undefined {
  try {
    return JSON.parse(readFileSync(resultFileOf(pidFile), "utf8")) as ReloadResult & {
      pid: number;
    };
  } catch {
    return undefined;
  }
}
