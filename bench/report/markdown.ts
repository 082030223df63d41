/** The results as markdown tables (one per scenario, ratios and limits under it). */
import type { RunResult, ScenarioResult } from "./types.js";
import { fmt, fmtRatio } from "./format.js";

function rowsTable(s: ScenarioResult): string[] {
  if (s.rows.length === 0) return ["_(no stack ran)_"];
  const extras = [...new Set(s.rows.flatMap((r) => Object.keys(r.extra)))];
  const better = s.higherIsBetter ? "higher is better" : "lower is better";
  const lines = [
    `| stack | ${s.unit} (median, ${better}) | min - max | ${extras.join(" | ")}${extras.length ? " | " : ""}note |`,
    `|---|---:|---:|${extras.map(() => "---:|").join("")}---|`,
  ];
  for (const r of s.rows) {
    const ex = extras.map((k) => (r.extra[k] === undefined ? "" : fmt(r.extra[k] as number, k)));
    lines.push(
      `| ${r.label} | **${fmt(r.median, s.unit)}** | ${fmt(r.min, s.unit)} - ${fmt(r.max, s.unit)} | ${ex.join(" | ")}${ex.length ? " | " : ""}${r.warning ?? ""} |`,
    );
  }
  return lines;
}

function checks(s: ScenarioResult): string[] {
  const lines: string[] = [];
  for (const r of s.ratios) {
    const target = r.target
      ? ` (target ${r.target.op} ${r.target.value}: ${r.pass ? "**met**" : "**not met**"})`
      : "";
    lines.push(`- ${r.name}: **${fmtRatio(r.value)}**${target}`);
  }
  for (const l of s.limits) {
    lines.push(
      `- ${l.name}: **${fmt(l.value, l.unit)} ${l.unit}** (target ${l.target.op} ${l.target.value} ${l.unit}: ${l.pass ? "**met**" : "**not met**"})`,
    );
  }
  return lines;
}

function scenario(s: ScenarioResult, level: string): string[] {
  const out = [`${level} ${s.title}`, "", ...rowsTable(s), ""];
  const c = checks(s);
  if (c.length) out.push(...c, "");
  out.push(`_Method: ${s.method}_`, "");
  if (s.ranBy)
    out.push(`_Run: \`${s.ranBy.command}\` at commit ${s.ranBy.commit}, ${s.ranBy.at}._`, "");
  for (const k of s.skipped) out.push(`- skipped ${k.id}: ${k.reason}`);
  for (const n of s.notes) out.push(`- note: ${n}`);
  if (s.skipped.length || s.notes.length) out.push("");
  if (s.raw !== undefined) out.push("```json", JSON.stringify(s.raw, null, 2), "```", "");
  for (const t of s.tables ?? []) out.push(...scenario(t, level));
  return out;
}

export function markdown(result: RunResult, level = "###"): string {
  const env = result.env;
  const out = [
    `Results of ${result.date}; each scenario names the run it comes from (latest: \`${result.command}\` at commit ${result.commit}).`,
    "",
    `Machine: ${env["cpu"]}, ${env["cores"]} cores, ${env["memory"]}, Linux ${env["kernel"]}; Node ${env["node"]}, ` +
      `${env["wrk"]}, Mongrel2 ${env["mongrel2"]}, gunicorn ${env["gunicorn"]}, ${env["nginx"]}, ${env["python"]}. ` +
      "Load generator and servers share the machine (loopback).",
    "",
  ];
  for (const s of Object.values(result.scenarios)) out.push(...scenario(s, level));
  return out.join("\n");
}

/** Every target of a run, one row each: what was measured, the figure, the target, met or not. */
export function targetsTable(result: RunResult): string {
  const lines = ["| scenario | measure | figure | target | met |", "|---|---|---:|---:|---|"];
  for (const s of Object.values(result.scenarios)) {
    for (const t of [s, ...(s.tables ?? [])]) {
      for (const r of t.ratios) {
        if (!r.target) continue;
        const target = `${r.target.op} ${fmtRatio(r.target.value)}`;
        lines.push(
          `| ${s.id} | ${r.name} | ${fmtRatio(r.value)} | ${target} | ${r.pass ? "yes" : "**no**"} |`,
        );
      }
      for (const l of t.limits) {
        const figure = `${fmt(l.value, l.unit)} ${l.unit}`;
        const target = `${l.target.op} ${l.target.value} ${l.unit}`;
        lines.push(
          `| ${s.id} | ${l.name} | ${figure} | ${target} | ${l.pass ? "yes" : "**no**"} |`,
        );
      }
    }
  }
  return lines.join("\n");
}
