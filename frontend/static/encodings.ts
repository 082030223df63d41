/** Choosing a precompressed sibling (`file.br`, `file.gz`) from Accept-Encoding. Pure. */

export const PRECOMPRESSED = [
  { coding: "br", suffix: ".br" },
  { coding: "gzip", suffix: ".gz" },
] as const;

export type Coding = (typeof PRECOMPRESSED)[number]["coding"];

/** q-values by coding name (lower case); `*` included when present. */
export function parseAcceptEncoding(value: string | undefined): Map<string, number> {
  const weights = new Map<string, number>();
  if (value === undefined) return weights;
  for (const part of value.split(",")) {
    const [name = "", ...params] = part.split(";").map((s) => s.trim());
    if (name === "") continue;
    let q = 1;
    for (const param of params) {
      const m = /^q\s*=\s*([0-9.]+)$/i.exec(param);
      if (m !== null) q = Number(m[1]);
    }
    if (!Number.isNaN(q)) weights.set(name.toLowerCase(), q);
  }
  return weights;
}

/**
 * The acceptable codings the client allows, best first (by q, then in PRECOMPRESSED order:
 * brotli before gzip). `x-gzip` counts as gzip.
 */
export function acceptableCodings(acceptEncoding: string | undefined): Coding[] {
  const weights = parseAcceptEncoding(acceptEncoding);
  const star = weights.get("*");
  const weightOf = (coding: Coding): number =>
    weights.get(coding) ?? (coding === "gzip" ? weights.get("x-gzip") : undefined) ?? star ?? 0;
  return PRECOMPRESSED.map((p, order) => ({ coding: p.coding, q: weightOf(p.coding), order }))
    .filter((c) => c.q > 0)
    .sort((a, b) => b.q - a.q || a.order - b.order)
    .map((c) => c.coding);
}

export function suffixOf(coding: Coding): string {
  return coding === "br" ? ".br" : ".gz";
}
