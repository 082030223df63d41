/** The hello scenario's CPU and p99 tables: rows, rates, ratios and how they are printed. */
import { describe, expect, it } from "vitest";
import { emptyResult, meets, ratioOf, type Started } from "../../../bench/measure.js";
import { markdown, targetsTable } from "../../../bench/report/markdown.js";
import type { Row, RunResult } from "../../../bench/report/types.js";
import { cpuRow, FRONTEND_COL, HANDLERS_COL } from "../../../bench/scenarios/hello-cpu.js";
import { FULL_P99_COL, halfRates } from "../../../bench/scenarios/hello-half-load.js";

function row(id: string, median: number, extra: Record<string, number> = {}): Row {
  return { id, label: id, median, min: median, max: median, samples: [median], extra };
}

const started = (id: string) => ({ id, label: id }) as Started;

describe("halfRates", () => {
  it("is half of each stack's own full-load median", () => {
    const rates = halfRates(
      [started("ferry-node"), started("mongrel2-node"), started("gone")],
      [row("ferry-node", 7_219), row("mongrel2-node", 13_226), row("gone", NaN)],
    );
    expect([...rates]).toEqual([
      ["ferry-node", 3_610],
      ["mongrel2-node", 6_613],
    ]);
  });
});

describe("cpuRow", () => {
  const split = (frontend: number, handlers: number) => ({
    frontend,
    handlers,
    total: frontend + handlers,
    processes: [],
  });

  it("ranks by the median total and keeps the split medians beside it", () => {
    const r = cpuRow(started("ferry-node"), [split(10, 5), split(30, 9), split(20, 7)], true, {
      "served req/s": 2999,
    });
    expect([r.median, r.min, r.max]).toEqual([27, 15, 39]);
    expect(r.extra).toEqual({ [FRONTEND_COL]: 20, [HANDLERS_COL]: 7, "served req/s": 2999 });
  });

  it("has no handler column for a stack without handler processes", () => {
    const r = cpuRow(started("node-bare"), [split(12, 0)], false, {});
    expect(HANDLERS_COL in r.extra).toBe(false);
  });
});

describe("ratioOf", () => {
  it("divides the chosen figure and judges the target", () => {
    const t = emptyResult("hello-p99", "p99", "ms p99", false, "m");
    t.rows.push(row("a", 4, { [FULL_P99_COL]: 30 }), row("b", 5, { [FULL_P99_COL]: 10 }));
    ratioOf(t, "full", "a", "b", { op: "<=", value: 2 }, (r) => r.extra[FULL_P99_COL]);
    ratioOf(t, "half", "a", "b", { op: "<=", value: 1 });
    expect(t.ratios).toEqual([
      { name: "full", value: 3, target: { op: "<=", value: 2 }, pass: false },
      { name: "half", value: 0.8, target: { op: "<=", value: 1 }, pass: true },
    ]);
  });

  it("leaves a ratio out when a row or its figure is missing", () => {
    const t = emptyResult("x", "x", "ms", false, "m");
    t.rows.push(row("a", 4), row("b", 0));
    ratioOf(t, "no row", "a", "c");
    ratioOf(t, "no figure", "a", "a", undefined, (r) => r.extra["p99 ms"]);
    ratioOf(t, "zero", "a", "b");
    expect(t.ratios).toEqual([]);
  });

  it("meets: at least and at most", () => {
    expect(meets(1.3, { op: ">=", value: 1.3 })).toBe(true);
    expect(meets(1.01, { op: "<=", value: 1 })).toBe(false);
  });
});

describe("markdown", () => {
  it("prints the tables under the hello scenario and their targets in the summary", () => {
    const hello = emptyResult("hello", "Hello world", "req/s", true, "full load");
    const cpu = emptyResult(
      "hello-cpu",
      "CPU per request at 3,000 req/s",
      "µs/req total",
      false,
      "m",
    );
    cpu.rows.push(
      cpuRow(
        started("ferry-node"),
        [{ frontend: 186, handlers: 102, total: 288, processes: [] }],
        true,
        {},
      ),
    );
    cpu.rows[0]!.warning = "did not keep 3,000 req/s in 1 of 1 rounds (served 2,766)";
    cpu.ratios.push({
      name: "batch 64 / batch 1",
      value: 0.88,
      target: { op: "<=", value: 1 },
      pass: true,
    });
    hello.tables = [cpu];
    const run: RunResult = {
      date: "2026-12-07",
      command: "npm run bench -- hello",
      commit: "abc",
      env: {},
      options: {},
      scenarios: { hello },
    };
    const md = markdown(run);
    expect(md).toContain("### CPU per request at 3,000 req/s");
    expect(md).toContain(
      `| stack | µs/req total (median, lower is better) | min - max | ${FRONTEND_COL} | ${HANDLERS_COL} | note |`,
    );
    expect(md).toContain(
      "| ferry-node | **288** | 288 - 288 | 186 | 102 | did not keep 3,000 req/s",
    );
    expect(md).toContain("- batch 64 / batch 1: **0.88x** (target <= 1: **met**)");
    expect(targetsTable(run)).toContain("| hello | batch 64 / batch 1 | 0.88x | <= 1.00x | yes |");
  });
});
