/**
 * Processes a benchmark starts. Every one is tracked by PID and stopped by PID (SIGTERM, then
 * SIGKILL), also when the harness is interrupted, so a run never leaves a server behind.
 * Output is kept bounded: a server logging per request must not grow the harness's memory.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

export const ROOT = fileURLToPath(new URL("../", import.meta.url));
export const BENCH = fileURLToPath(new URL("./", import.meta.url));
/** Debian's Python (python3-zmq, python3-msgpack, flask, gunicorn's interpreter). */
export const PYTHON = "/usr/bin/python3";
/** `node --import tsx FILE`: runs a bench/ TypeScript file as a process. */
export const NODE_TS = [process.execPath, "--import", "tsx"];

const KEEP = 64 * 1024;

export interface Proc {
  name: string;
  pid: number;
  child: ChildProcess;
  output(): string;
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<string>;
  exited: Promise<number | string>;
  stop(): Promise<void>;
}

const running = new Set<Proc>();

export interface StartOptions {
  cwd?: string;
  env?: Record<string, string>;
  /** Raise the open-file limit to this (via `ulimit -n` in a child shell) before exec. */
  nofile?: number;
}

export function start(
  name: string,
  command: string,
  args: string[],
  options: StartOptions = {},
): Proc {
  let cmd = command;
  let argv = args;
  if (options.nofile !== undefined) {
    // A child shell raises its own soft limit (up to the hard one) and execs the command.
    cmd = "/bin/bash";
    argv = ["-c", `ulimit -n ${options.nofile} && exec "$@"`, "bash", command, ...args];
  }
  const child = spawn(cmd, argv, {
    cwd: options.cwd ?? ROOT,
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, ...options.env },
  });
  if (child.pid === undefined) throw new Error(`could not start ${name}: ${command}`);
  let out = "";
  const listeners = new Set<() => void>();
  const onData = (chunk: Buffer) => {
    out += chunk.toString("utf8");
    if (out.length > 2 * KEEP) out = out.slice(-KEEP);
    for (const l of listeners) l();
  };
  child.stdout?.on("data", onData);
  child.stderr?.on("data", onData);
  const exited = new Promise<number | string>((resolve) => {
    child.once("exit", (code, signal) => {
      running.delete(proc);
      for (const l of listeners) l();
      resolve(code ?? signal ?? "unknown");
    });
  });
  const proc: Proc = {
    name,
    pid: child.pid,
    child,
    output: () => out,
    exited,
    waitFor(pattern, timeoutMs = 15_000) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          listeners.delete(check);
          reject(new Error(`${name}: timed out waiting for ${pattern}:\n${out.slice(-4000)}`));
        }, timeoutMs);
        const check = () => {
          const match = pattern.exec(out);
          if (match) {
            clearTimeout(timer);
            listeners.delete(check);
            resolve(match[0]);
          } else if (child.exitCode !== null || child.signalCode !== null) {
            clearTimeout(timer);
            listeners.delete(check);
            reject(new Error(`${name} exited before ${pattern}:\n${out.slice(-4000)}`));
          }
        };
        listeners.add(check);
        check();
      });
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
      await exited;
      clearTimeout(timer);
    },
  };
  running.add(proc);
  return proc;
}

/** Run a command to completion and return its stdout (rejects on a non-zero exit). */
export async function run(
  name: string,
  command: string,
  args: string[],
  options: StartOptions & { timeoutMs?: number } = {},
): Promise<string> {
  const proc = start(name, command, args, options);
  const timer = setTimeout(() => void proc.stop(), options.timeoutMs ?? 120_000);
  const code = await proc.exited;
  clearTimeout(timer);
  if (code !== 0) throw new Error(`${name} exited with ${code}:\n${proc.output().slice(-4000)}`);
  return proc.output();
}

export async function stopAll(): Promise<void> {
  await Promise.all([...running].map((p) => p.stop()));
}

/** Kill what is still running if the harness itself is interrupted or crashes. */
export function stopAllOnExit(): void {
  const killNow = () => {
    for (const p of running) if (p.child.exitCode === null) p.child.kill("SIGKILL");
  };
  process.once("exit", killNow);
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.once(signal, () => {
      killNow();
      process.exit(130);
    });
  }
}

/** Resident set size of a process in bytes (VmRSS), or undefined when it is gone. */
export function rssBytes(pid: number): number | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
    return match?.[1] === undefined ? undefined : Number(match[1]) * 1024;
  } catch {
    return undefined;
  }
}

/** The hard limit on open files this process may raise its children's soft limit to. */
export function hardNofile(): number {
  try {
    const limits = readFileSync("/proc/self/limits", "utf8");
    const match = /^Max open files\s+\d+\s+(\d+|unlimited)/m.exec(limits);
    if (match?.[1] === "unlimited") return 1 << 20;
    return match?.[1] === undefined ? 1024 : Number(match[1]);
  } catch {
    return 1024;
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
