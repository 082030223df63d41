/**
 * Turns two observations of one request (direct and through Ferry) into facts, and lists the
 * facts that differ and that no entry of the allowed-differences table covers.
 */
import type { Observed } from "./client.js";

export type AppKind = "fetch" | "node";

export interface AllowedDifference {
  app: AppKind | "both";
  /** Matched against `<case name> :: <fact>`, e.g. `POST /dump (text) :: body.url`. */
  fact: RegExp;
  /** Why Ferry differs here, and why that is acceptable. */
  why: string;
  /** A narrower test on the two values (absent: any difference at this fact is allowed). */
  allow?: (direct: string | undefined, ferry: string | undefined) => boolean;
}

type Facts = Map<string, string>;

function put(facts: Facts, key: string, value: string): void {
  const prev = facts.get(key);
  facts.set(key, prev === undefined ? value : `${prev} | ${value}`);
}

/** Header lines keyed by lower-cased name, valued `Name: value` (the case as sent). */
function headerFacts(facts: Facts, prefix: string, pairs: Array<[string, string]>): void {
  for (const [name, value] of pairs)
    put(facts, `${prefix}.${name.toLowerCase()}`, `${name}: ${value}`);
}

function jsonFacts(facts: Facts, prefix: string, value: unknown): void {
  if (value !== null && typeof value === "object" && !Array.isArray(value)) {
    for (const [k, v] of Object.entries(value)) {
      const key = `${prefix}.${k}`;
      if (k === "headers" && Array.isArray(v))
        headerFacts(facts, key, v as Array<[string, string]>);
      else if (k === "rawHeaders" && Array.isArray(v)) {
        const flat = v as string[];
        const pairs: Array<[string, string]> = [];
        for (let i = 0; i < flat.length; i += 2) pairs.push([flat[i]!, flat[i + 1]!]);
        headerFacts(facts, key, pairs);
      } else jsonFacts(facts, key, v);
    }
    return;
  }
  facts.set(prefix, JSON.stringify(value));
}

/** The facts of one observation; `port` (where that side listens) reads `<port>` in them. */
export function factsOf(o: Observed, port: number): Facts {
  const raw = factsOfObserved(o);
  const facts: Facts = new Map();
  for (const [k, v] of raw) facts.set(k, v.replaceAll(String(port), "<port>"));
  return facts;
}

function factsOfObserved(o: Observed): Facts {
  const facts: Facts = new Map();
  facts.set("status", String(o.status));
  facts.set("reason", o.reason);
  facts.set("complete", String(o.complete));
  headerFacts(facts, "header", o.headers);
  jsonFacts(facts, "body", o.body);
  return facts;
}

export interface Difference {
  fact: string;
  direct: string | undefined;
  ferry: string | undefined;
  /** The table entry that allows it; undefined: not allowed. */
  allowedBy?: AllowedDifference;
}

export function differences(
  app: AppKind,
  caseName: string,
  direct: { seen: Observed; port: number },
  ferry: { seen: Observed; port: number },
  table: readonly AllowedDifference[],
): Difference[] {
  const a = factsOf(direct.seen, direct.port);
  const b = factsOf(ferry.seen, ferry.port);
  const out: Difference[] = [];
  for (const fact of new Set([...a.keys(), ...b.keys()])) {
    const d = a.get(fact);
    const f = b.get(fact);
    if (d === f) continue;
    const key = `${caseName} :: ${fact}`;
    const allowedBy = table.find(
      (t) => (t.app === "both" || t.app === app) && t.fact.test(key) && (t.allow?.(d, f) ?? true),
    );
    out.push({ fact: key, direct: d, ferry: f, allowedBy });
  }
  return out;
}
