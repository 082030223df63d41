/** Process CPU from /proc: parsing a stat line, process trees, and CPU per request by role. */
import { spawn } from "node:child_process";
import { describe, expect, it } from "vitest";
import {
  parseStat,
  processTable,
  readStat,
  TICK_US,
  ticksUsed,
  treeOf,
  type ProcStat,
} from "../../../bench/proc-stat.js";
import { cpuPerRequest, stackSnapshot } from "../../../bench/stack-cpu.js";

/** A /proc/PID/stat line with the given name, parent, utime and stime. */
function statLine(pid: number, name: string, ppid: number, utime: number, stime: number): string {
  const rest = ["S", ppid, pid, pid, 0, -1, 4194304, 100, 0, 0, 0, utime, stime, 0, 0, 20, 0, 1];
  return `${pid} (${name}) ${rest.join(" ")}`;
}

function table(...procs: [pid: number, name: string, ppid: number, ticks: number][]) {
  return new Map<number, ProcStat>(
    procs.map(([pid, name, ppid, ticks]) => [pid, { pid, name, ppid, ticks }]),
  );
}

describe("parseStat", () => {
  it("reads name, parent and utime+stime (fields 14 and 15)", () => {
    expect(parseStat(42, statLine(42, "node", 7, 120, 30))).toEqual({
      pid: 42,
      name: "node",
      ppid: 7,
      ticks: 150,
    });
  });

  it("keeps a name with spaces and parentheses whole", () => {
    const s = parseStat(9, statLine(9, "a (b) c)", 3, 1, 2));
    expect(s?.name).toBe("a (b) c)");
    expect(s?.ppid).toBe(3);
    expect(s?.ticks).toBe(3);
  });

  it("refuses a line that is not a stat line", () => {
    expect(parseStat(1, "")).toBeUndefined();
    expect(parseStat(1, "1 (x) S")).toBeUndefined();
  });

  it("reads this process from /proc", () => {
    const self = readStat(process.pid);
    expect(self?.pid).toBe(process.pid);
    expect(self?.ppid).toBe(process.ppid);
    expect(self?.ticks).toBeGreaterThanOrEqual(0);
    expect(processTable().has(process.pid)).toBe(true);
  });
});

describe("treeOf", () => {
  const t = table(
    [1, "init", 0, 0],
    [10, "fe", 1, 5],
    [11, "fe-child", 10, 1],
    [12, "grandchild", 11, 1],
    [20, "h", 1, 3],
    [30, "other", 1, 9],
  );

  it("holds the roots and all their descendants, nothing else", () => {
    expect([...treeOf([10, 20], t).keys()].sort()).toEqual([10, 11, 12, 20]);
  });

  it("ignores a root that is not running", () => {
    expect([...treeOf([99, 20], t).keys()]).toEqual([20]);
  });
});

describe("ticksUsed", () => {
  it("is after minus before, leaving out new processes and reused pids", () => {
    const before = table([10, "fe", 1, 5], [20, "h", 1, 3], [30, "old", 1, 1]);
    const after = table([10, "fe", 1, 9], [20, "h", 1, 3], [30, "new", 1, 50], [40, "born", 1, 7]);
    expect([...ticksUsed(before, after)]).toEqual([
      [10, 4],
      [20, 0],
    ]);
  });
});

describe("cpuPerRequest", () => {
  const stack = { frontendPid: 10, handlerPids: [20, 21] };
  const before = table(
    [10, "fe", 1, 100],
    [11, "fe-worker", 10, 0],
    [20, "h0", 1, 50],
    [21, "h1", 1, 50],
    [22, "esbuild", 21, 0],
  );
  const after = table(
    [10, "fe", 1, 130],
    [11, "fe-worker", 10, 10],
    [20, "h0", 1, 60],
    [21, "h1", 1, 70],
    [22, "esbuild", 21, 1],
  );

  it("splits µs per request into the frontend's tree and the handlers' trees", () => {
    const cpu = cpuPerRequest(stack, before, after, 10_000);
    // frontend: 40 ticks, handlers: 10 + 20 + 1 ticks, over 10,000 requests.
    expect(cpu.frontend).toBeCloseTo((40 * TICK_US) / 10_000);
    expect(cpu.handlers).toBeCloseTo((31 * TICK_US) / 10_000);
    expect(cpu.total).toBeCloseTo(cpu.frontend + cpu.handlers);
    expect(cpu.processes.find((p) => p.pid === 11)?.role).toBe("frontend");
    expect(cpu.processes.find((p) => p.pid === 22)?.role).toBe("handler");
  });

  it("gives no figure for a run with no requests", () => {
    expect(cpuPerRequest(stack, before, after, 0).total).toBeNaN();
  });

  it("counts a real child process that burns CPU, and not this process", async () => {
    const busy = "process.stdout.write('go'); const t = Date.now() + 2000; while (Date.now() < t);";
    const child = spawn(process.execPath, ["-e", busy]);
    const exited = new Promise((resolve) => child.once("exit", resolve));
    try {
      await new Promise((resolve) => child.stdout.once("data", resolve));
      const running = { frontendPid: child.pid as number, handlerPids: [] };
      const before = stackSnapshot(running);
      expect([...before.keys()]).toEqual([child.pid]);
      await new Promise((resolve) => setTimeout(resolve, 300));
      const cpu = cpuPerRequest(running, before, stackSnapshot(running), 1);
      // At least one 10 ms tick, even on a busy machine; nothing of this process.
      expect(cpu.frontend).toBeGreaterThanOrEqual(TICK_US);
      expect(cpu.handlers).toBe(0);
      expect(cpu.processes.map((p) => p.pid)).toEqual([child.pid]);
    } finally {
      child.kill("SIGKILL");
      await exited;
    }
  });
});
