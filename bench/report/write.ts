/**
 * Writes a run: bench/results/<date>.json (merged with the same day's earlier runs, newest
 * scenario wins), <date>.md and <date>.svg, and the generated part of docs/performance.md
 * (between its markers; the hand-written analysis around them stays).
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { ROOT } from "../processes.js";
import { markdown } from "./markdown.js";
import { chart } from "./svg.js";
import type { RunResult } from "./types.js";

export const RESULTS = join(ROOT, "bench", "results");
const DOC = join(ROOT, "docs", "performance.md");
const START = "<!-- bench:results:start -->";
const END = "<!-- bench:results:end -->";

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
  const a = doc.indexOf(START);
  const b = doc.indexOf(END);
  doc =
    a >= 0 && b > a
      ? doc.slice(0, a) + generated + doc.slice(b + END.length)
      : `${doc}\n${generated}\n`;
  mkdirSync(join(ROOT, "docs"), { recursive: true });
  writeFileSync(DOC, doc);
}
