/**
 * A bar chart of every scenario's medians (min-max as a whisker), drawn as plain SVG text so the
 * chart needs no dependency. One panel per scenario; bars colored by family.
 */
import { fmt } from "./format.js";
import type { RunResult, ScenarioResult } from "./types.js";

const WIDTH = 960;
const LABEL_W = 360;
const BAR_W = 470;
const ROW_H = 22;
const TITLE_H = 34;
const GAP = 18;

function color(id: string): string {
  if (id.startsWith("ferry")) return "#e8590c";
  if (id.startsWith("mongrel2")) return "#1c7ed6";
  if (id.startsWith("node")) return "#868e96";
  return "#2f9e44"; // gunicorn, nginx
}

function esc(s: string): string {
  return s
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;");
}

function panel(s: ScenarioResult, y0: number): { svg: string[]; height: number } {
  const rows = s.rows.filter((r) => Number.isFinite(r.median));
  const out: string[] = [];
  const better = s.higherIsBetter ? "higher is better" : "lower is better";
  out.push(
    `<text x="10" y="${y0 + 22}" font-size="15" font-weight="bold">${esc(s.title)} <tspan font-weight="normal" fill="#555">(${esc(s.unit)}, ${better})</tspan></text>`,
  );
  if (rows.length === 0) {
    out.push(`<text x="${LABEL_W}" y="${y0 + TITLE_H + 14}" fill="#888">no stack ran</text>`);
    return { svg: out, height: TITLE_H + ROW_H + GAP };
  }
  const top = Math.max(...rows.map((r) => (Number.isFinite(r.max) ? r.max : r.median))) || 1;
  const x = (v: number) => LABEL_W + (BAR_W * v) / top;
  rows.forEach((r, i) => {
    const y = y0 + TITLE_H + i * ROW_H;
    out.push(
      `<text x="${LABEL_W - 8}" y="${y + 15}" font-size="12" text-anchor="end">${esc(r.label)}</text>`,
    );
    out.push(
      `<rect x="${LABEL_W}" y="${y + 3}" width="${Math.max(1, x(r.median) - LABEL_W).toFixed(1)}" height="${ROW_H - 6}" fill="${color(r.id)}"/>`,
    );
    if (Number.isFinite(r.min) && Number.isFinite(r.max) && r.max > r.min) {
      const ym = y + ROW_H / 2;
      out.push(
        `<line x1="${x(r.min).toFixed(1)}" x2="${x(r.max).toFixed(1)}" y1="${ym}" y2="${ym}" stroke="#222" stroke-width="1"/>`,
      );
      for (const v of [r.min, r.max])
        out.push(
          `<line x1="${x(v).toFixed(1)}" x2="${x(v).toFixed(1)}" y1="${ym - 4}" y2="${ym + 4}" stroke="#222"/>`,
        );
    }
    const warn = r.warning ? " !" : "";
    out.push(
      `<text x="${(Math.max(x(r.median), x(r.max)) + 6).toFixed(1)}" y="${y + 15}" font-size="12">${fmt(r.median, s.unit)}${warn}</text>`,
    );
  });
  return { svg: out, height: TITLE_H + rows.length * ROW_H + GAP };
}

export function chart(result: RunResult): string {
  const panels: ScenarioResult[] = Object.values(result.scenarios).flatMap((s) => [
    s,
    ...(s.tables ?? []),
  ]);
  const body: string[] = [];
  let y = 40;
  for (const p of panels) {
    if (p.rows.length === 0 && p.raw === undefined) continue;
    const { svg, height } = panel(p, y);
    body.push(...svg);
    y += height;
  }
  const legend = [
    ["#e8590c", "Ferry"],
    ["#1c7ed6", "Mongrel2"],
    ["#868e96", "bare node:http"],
    ["#2f9e44", "gunicorn / nginx"],
  ]
    .map(
      ([c, name], i) =>
        `<rect x="${LABEL_W + i * 130}" y="${y}" width="12" height="12" fill="${c}"/><text x="${LABEL_W + i * 130 + 16}" y="${y + 11}" font-size="12">${name}</text>`,
    )
    .join("");
  const height = y + 30;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="Helvetica, Arial, sans-serif">`,
    `<rect width="100%" height="100%" fill="#fff"/>`,
    `<text x="10" y="24" font-size="17" font-weight="bold">Ferry benchmarks, ${esc(result.date)} (${esc(String(result.env["cores"]))} cores, medians, whiskers = min-max over rounds)</text>`,
    ...body,
    legend,
    `</svg>`,
    "",
  ].join("\n");
}
