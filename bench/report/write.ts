/**
 * Writes a run: bench/results/<date>.json (merged with the same day's earlier runs, newest
 * scenario wins), <date>.md and <date>.svg, and the generated part of docs/performance.md
 * (between its markers; the hand-written analysis around them stays), and the README's summary
 * (the targets table and the chart, between its own markers).
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { ROOT } from "../processes.js";
import { markdown, targetsTable } from "./markdown.js";
import { chart } from "./svg.js";
import type { RunResult } from "./types.js";

export const RESULTS = join(ROOT, "bench", "results");
const DOC = join(ROOT, "docs", "performance.md");
const README = join(ROOT, "README.md");
const START = "<!-- bench:results:start -->";
const END = "<!-- bench:results:end -->";
const SUMMARY_START = "<!-- bench:summary:start -->";
const SUMMARY_END = "<!-- bench:summary:end -->";

export function mergeWithEarlier(run: RunResult, file: string): RunResult {
  if (!existsSync(file)) return run;
  try {
    const earlier = JSON.parse(readFileSync(file, "utf8")) as RunResult;
    return { ...run, scenarios: { ...earlier.scenarios, ...run.scenarios } };
  } catch {
    return run;
  }
}

export function writeResults(run: RunResult): { json: string; md: string; svg: string } {
  mkdirSync(RESULTS, { recursive: true });
  const json = join(RESULTS, `${run.date}.json`);
  const merged = mergeWithEarlier(run, json);
  writeFileSync(json, JSON.stringify(merged, null, 2) + "\n");
  const md = join(RESULTS, `${run.date}.md`);
  writeFileSync(md, markdown(merged, "##") + "\n");
  const svg = join(RESULTS, `${run.date}.svg`);
  writeFileSync(svg, chart(merged));
  writeDoc(merged, svg);
  writeReadmeSummary(merged, svg);
  return { json, md, svg };
}

/** Tables, chart and docs again from a day's JSON (after a formatter change); undefined if none. */
export function rewriteReport(date: string): { md: string; svg: string } | undefined {
  const json = join(RESULTS, `${date}.json`);
  if (!existsSync(json)) return undefined;
  const run = JSON.parse(readFileSync(json, "utf8")) as RunResult;
  const md = join(RESULTS, `${date}.md`);
  writeFileSync(md, markdown(run, "##") + "\n");
  const svg = join(RESULTS, `${date}.svg`);
  writeFileSync(svg, chart(run));
  writeDoc(run, svg);
  writeReadmeSummary(run, svg);
  return { md, svg };
}

function writeDoc(run: RunResult, svg: string): void {
  const generated = [
    START,
    "",
    `![Benchmark chart](${relative(join(ROOT, "docs"), svg)})`,
    "",
    markdown(run, "###"),
    END,
  ].join("\n");
  let doc = existsSync(DOC) ? readFileSync(DOC, "utf8") : `# Performance\n\n${START}\n${END}\n`;
  doc = replaceBetween(doc, START, END, generated) ?? `${doc}\n${generated}\n`;
  mkdirSync(join(ROOT, "docs"), { recursive: true });
  writeFileSync(DOC, doc);
}

/** The README keeps its own text; only a summary between its markers is rewritten (if present). */
function writeReadmeSummary(run: RunResult, svg: string): void {
  if (!existsSync(README)) return;
  const commands = [...new Set(Object.values(run.scenarios).map((s) => s.ranBy?.command))];
  const generated = [
    SUMMARY_START,
    "",
    `Every target, from the run${commands.length > 1 ? "s" : ""} of ${run.date} (${commands
      .filter((c) => c !== undefined)
      .map((c) => `\`${c}\``)
      .join(", ")}):`,
    "",
    targetsTable(run),
    "",
    `![Benchmarks](${relative(ROOT, svg)})`,
    "",
    SUMMARY_END,
  ].join("\n");
  const readme = readFileSync(README, "utf8");
  const updated = replaceBetween(readme, SUMMARY_START, SUMMARY_END, generated);
  if (updated !== undefined) writeFileSync(README, updated);
}

function replaceBetween(text: string, start: string, end: string, by: string): string | undefined {
  const a = text.indexOf(start);
  const b = text.indexOf(end);
  return a >= 0 && b > a ? text.slice(0, a) + by + text.slice(b + end.length) : undefined;
}
