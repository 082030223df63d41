/** Median of the finite values (NaN when there are none). */
export function median(xs: number[]): number {
  const s = xs.filter(Number.isFinite).sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const mid = s.length >> 1;
  return s.length % 2 === 1
    ? (s[mid] as number)
    : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

export function min(xs: number[]): number {
  return xs.length === 0 ? NaN : Math.min(...xs);
}

export function max(xs: number[]): number {
  return xs.length === 0 ? NaN : Math.max(...xs);
}

/** Rotate a list by `round` places, so no stack always runs first (or last) in a round. */
export function rotate<T>(xs: T[], round: number): T[] {
  if (xs.length === 0) return xs;
  const k = round % xs.length;
  return [...xs.slice(k), ...xs.slice(0, k)];
}
