/** Number formats shared by the markdown table and the chart. */

export function fmt(value: number, unit: string): string {
  if (!Number.isFinite(value)) return "n/a";
  if (unit.startsWith("req/s") || unit === "errors") return Math.round(value).toLocaleString("en");
  if (unit === "linear" || unit.endsWith("x")) return value.toFixed(2);
  const abs = Math.abs(value);
  if (abs >= 1000) return Math.round(value).toLocaleString("en");
  if (abs >= 100) return value.toFixed(0);
  if (abs >= 10) return value.toFixed(1);
  return value.toFixed(2);
}

export function fmtRatio(value: number): string {
  return `${value.toFixed(2)}x`;
}
