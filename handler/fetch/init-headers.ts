/**
 * The headers of a Response given as a plain record or an array of pairs, kept as pairs instead
 * of an undici `Headers` (whose construction and sorted iteration cost more than the rest of a
 * small response). Only input that the real `Headers` accepts as it is takes this path, so the
 * pairs and a real `Headers` made from them say the same; anything else (a value to convert, a
 * name or value the real one would refuse or change) answers undefined and is left to Node.
 */
import type { HeaderPair } from "../../protocol/index.js";

/** An HTTP token (RFC 9110 §5.6.2): what a header name may be. */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** Field-value octets with no control character but HTAB (RFC 9110 §5.5), as ByteString. */
const VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;

/** Lower-case name and value with leading and trailing blanks removed, as Headers stores them. */
function pair(name: unknown, value: unknown): HeaderPair | undefined {
  if (typeof name !== "string" || typeof value !== "string") return undefined;
  if (!TOKEN.test(name) || !VALUE.test(value)) return undefined;
  return [name.toLowerCase(), trimBlanks(value)];
}

function isBlank(code: number): boolean {
  return code === 0x20 || code === 0x09;
}

function trimBlanks(value: string): string {
  const n = value.length;
  if (n === 0 || (!isBlank(value.charCodeAt(0)) && !isBlank(value.charCodeAt(n - 1)))) return value;
  let start = 0;
  let end = n;
  while (start < end && isBlank(value.charCodeAt(start))) start++;
  while (end > start && isBlank(value.charCodeAt(end - 1))) end--;
  return value.slice(start, end);
}

/**
 * `init` (a ResponseInit's `headers`) as normalized pairs in the order given, or undefined when
 * it is of another kind or holds anything the real Headers would convert, refuse or rewrite.
 */
export function initPairs(init: unknown): HeaderPair[] | undefined {
  if (init === undefined) return [];
  if (init === null || typeof init !== "object") return undefined;
  const out: HeaderPair[] = [];
  if (Array.isArray(init)) {
    for (const entry of init as unknown[]) {
      if (!Array.isArray(entry) || entry.length !== 2) return undefined;
      const p = pair(entry[0], entry[1]);
      if (p === undefined) return undefined;
      out.push(p);
    }
    return out;
  }
  const proto = Object.getPrototypeOf(init) as unknown;
  if (proto !== Object.prototype && proto !== null) return undefined;
  if (Object.getOwnPropertySymbols(init).length > 0) return undefined;
  const record = init as Record<string, unknown>;
  for (const name of Object.keys(record)) {
    const p = pair(name, record[name]);
    if (p === undefined) return undefined;
    out.push(p);
  }
  return out;
}

/** True when `pairs` has a header `name` (lower-case). */
export function hasHeader(pairs: readonly HeaderPair[], name: string): boolean {
  for (const [n] of pairs) if (n === name) return true;
  return false;
}

/** The value a real Headers gives for `name` (lower-case): every value joined, or null. */
export function headerValue(pairs: readonly HeaderPair[], name: string): string | null {
  let out: string | null = null;
  for (const [n, v] of pairs) if (n === name) out = out === null ? v : `${out}, ${v}`;
  return out;
}

/**
 * What iterating a real Headers holding `pairs` gives (Fetch "sort and combine"): names sorted,
 * the values of one name joined with ", ", each Set-Cookie on its own. Names in `skip` are left
 * out (connection-level headers the frontend owns).
 */
export function sortAndCombine(
  pairs: readonly HeaderPair[],
  skip: ReadonlySet<string>,
): HeaderPair[] {
  let sorted = true;
  for (let i = 1; i < pairs.length && sorted; i++) sorted = pairs[i - 1]![0] < pairs[i]![0];
  if (sorted) {
    // Names unique and in order already (the common case): only the skipped ones go.
    const out: HeaderPair[] = [];
    for (const p of pairs) if (!skip.has(p[0])) out.push(p);
    return out;
  }
  const byName = new Map<string, string[]>();
  for (const [n, v] of pairs) {
    const values = byName.get(n);
    if (values) values.push(v);
    else byName.set(n, [v]);
  }
  const out: HeaderPair[] = [];
  for (const name of [...byName.keys()].sort()) {
    if (skip.has(name)) continue;
    const values = byName.get(name)!;
    if (name === "set-cookie") for (const v of values) out.push([name, v]);
    else out.push([name, values.join(", ")]);
  }
  return out;
}
