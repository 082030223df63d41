/** Range request parsing (RFC 9110 section 14): `bytes=0-99,200-,-50`. Pure. */

export interface ByteRange {
  /** First byte, inclusive. */
  start: number;
  /** Last byte, inclusive. */
  end: number;
}

export type RangeRequest =
  /** No usable Range: absent, another unit, malformed, or too many parts. Serve the whole file. */
  | { kind: "whole" }
  /** Well-formed but no part overlaps the file: 416 with `Content-Range: bytes *\/size`. */
  | { kind: "unsatisfiable" }
  /** Sorted, with overlapping and adjacent parts merged. */
  | { kind: "ranges"; ranges: ByteRange[] };

/**
 * More parts than this and the header is ignored (the spec allows that), so a request cannot make
 * one file into thousands of tiny multipart bodies.
 */
export const MAX_RANGES = 16;

const RANGE_SPEC = /^(\d*)-(\d*)$/;

export function parseRange(
  header: string | undefined,
  size: number,
  maxRanges = MAX_RANGES,
): RangeRequest {
  if (header === undefined) return { kind: "whole" };
  const eq = header.indexOf("=");
  if (eq === -1 || header.slice(0, eq).trim().toLowerCase() !== "bytes") return { kind: "whole" };
  const specs = header
    .slice(eq + 1)
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "");
  if (specs.length === 0 || specs.length > maxRanges) return { kind: "whole" };
  const satisfiable: ByteRange[] = [];
  for (const spec of specs) {
    const match = RANGE_SPEC.exec(spec);
    if (match === null) return { kind: "whole" };
    const [, first = "", last = ""] = match;
    if (first === "" && last === "") return { kind: "whole" };
    if (first === "") {
      const suffix = Number(last);
      if (suffix > 0 && size > 0)
        satisfiable.push({ start: Math.max(0, size - suffix), end: size - 1 });
      continue;
    }
    const start = Number(first);
    const end = last === "" ? size - 1 : Number(last);
    if (last !== "" && end < start) return { kind: "whole" };
    if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end)) return { kind: "whole" };
    if (start < size) satisfiable.push({ start, end: Math.min(end, size - 1) });
  }
  if (satisfiable.length === 0) return { kind: "unsatisfiable" };
  return { kind: "ranges", ranges: coalesce(satisfiable) };
}

function coalesce(ranges: ByteRange[]): ByteRange[] {
  const sorted = [...ranges].sort((a, b) => a.start - b.start);
  const merged: ByteRange[] = [];
  for (const r of sorted) {
    const last = merged[merged.length - 1];
    if (last !== undefined && r.start <= last.end + 1) last.end = Math.max(last.end, r.end);
    else merged.push({ ...r });
  }
  return merged;
}
