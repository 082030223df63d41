/**
 * The frontend process's side of reloads: SIGHUP reloads, every outcome is logged (each problem
 * on its own line, with its path), written beside the pid file for `ferry reload`, and counted
 * (the reloader's counts back `ferry_reloads_total{result}`).
 */
import type { Env } from "../config/load.js";
import type { Logger } from "../logging.js";
import type { Frontend } from "../server.js";
import { pidFileOf, removePidFile, writePidFile, writeReloadResult } from "./pid-file.js";
import { Reloader, type ReloadResult } from "./reloader.js";

export interface ReloadProcess {
  readonly reloader: Reloader;
  readonly pidFile: string | undefined;
  /** Remove the pid file (at exit). */
  close(): void;
}

export function setupReload(
  server: Frontend,
  log: Logger,
  source: { file: string | undefined; env: Env },
): ReloadProcess {
  const reloader = new Reloader(server, source);
  const pidFile = pidFileOf(server.config, source.env);
  if (pidFile !== undefined) {
    try {
      writePidFile(pidFile);
    } catch (err) {
      log.warn(
        { err, pidFile },
        "pid file not written: `ferry reload` needs --control or --pid-file",
      );
    }
  }
  reloader.on("reloaded", (result: ReloadResult) => {
    if (result.ok) {
      log.info(
        { seq: result.seq, trigger: result.trigger, ms: result.ms, changes: result.changes },
        "config reloaded",
      );
      if (server.bound.some((l) => l.tls !== undefined)) log.info("tls certificates reloaded");
      if (result.atRestart.length > 0)
        log.warn({ keys: result.atRestart }, "changed, but in force only after a restart");
    } else {
      for (const p of result.problems)
        log.error({ path: p.path, problem: p.message }, "reload refused: problem");
      if (result.problems.some((p) => /\.tls\b/.test(p.path)))
        log.error("tls reload failed; the running certificates stay");
      log.error(
        { seq: result.seq, trigger: result.trigger, problems: result.problems.length },
        "reload failed; the running config stays",
      );
    }
    if (pidFile === undefined) return;
    try {
      writeReloadResult(pidFile, result);
    } catch (err) {
      log.warn({ err }, "reload result not written beside the pid file");
    }
  });
  // The certificates are read again as part of each reload.
  process.on("SIGHUP", () => void reloader.reload("signal"));
  return {
    reloader,
    pidFile,
    close: () => {
      if (pidFile !== undefined) removePidFile(pidFile);
    },
  };
}
