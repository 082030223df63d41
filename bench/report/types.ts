/** What a scenario produces; the JSON file, the markdown table and the chart are built from it. */

export interface Row {
  /** Stack id (plus a variant, e.g. "ferry-ts x4"). */
  id: string;
  label: string;
  /** The figure the scenario ranks by (median over rounds), in `unit`. */
  median: number;
  min: number;
  max: number;
  samples: number[];
  /** Other medians worth a column (e.g. p99 ms), by column name. */
  extra: Record<string, number>;
  /** Something wrong with this row's runs (errors, closed connections...). */
  warning?: string;
}

export interface Ratio {
  name: string;
  value: number;
  /** "at least" (value >= target) or "at most" (value <= target). */
  target?: { op: ">=" | "<="; value: number };
  pass?: boolean;
}

export interface Limit {
  name: string;
  value: number;
  unit: string;
  target: { op: "<" | ">" | "<=" | ">="; value: number };
  pass: boolean;
}

export interface ScenarioResult {
  id: string;
  title: string;
  /** Unit of `median` (e.g. "req/s", "ms p99", "MiB"). */
  unit: string;
  higherIsBetter: boolean;
  /** How it was measured, in one or two sentences (goes under the table). */
  method: string;
  rows: Row[];
  ratios: Ratio[];
  limits: Limit[];
  skipped: { id: string; reason: string }[];
  notes: string[];
  /** Extra tables (e.g. broadcast times next to RSS). */
  tables?: ScenarioResult[];
  /** The command and commit that produced this scenario (a day's file merges several runs). */
  ranBy?: { command: string; commit: string; at: string };
  /** Output of a scenario run by someone else's script, stored as it came. */
  raw?: unknown;
}

export interface RunResult {
  date: string;
  command: string;
  commit: string;
  env: Record<string, string | number>;
  options: Record<string, unknown>;
  scenarios: Record<string, ScenarioResult>;
}
