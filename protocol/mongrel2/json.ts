/**
 * JSON for Mongrel2 headers and `@*` messages. The encoder writes valid JSON with every control
 * character escaped; Mongrel2 itself escapes only `"` and `\` and leaves tabs and other control
 * bytes raw, so the decoder accepts raw U+0000..U+001F inside strings. Objects keep key order
 * (`parseJsonEntries`), which JSON.parse cannot promise for integer-like keys.
 */
import { ProtocolError, ProtocolErrorCode as E } from "../errors.js";
import { utf8Lenient } from "./bytes.js";
import { M2Limits } from "./limits.js";

export type JsonValue =
  string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
export type JsonEntries = [key: string, value: JsonValue][];

/** Fully escaped JSON text for a value (object keys in insertion order). */
export function stringifyJson(value: unknown): string {
  const text = JSON.stringify(value);
  if (text === undefined) throw new ProtocolError(E.Json, "json: value cannot be written as JSON");
  return text;
}

/** `{"k":v,...}` from ordered entries (duplicate keys written as given). */
export function stringifyJsonEntries(entries: readonly (readonly [string, unknown])[]): string {
  return `{${entries.map(([k, v]) => `${stringifyJson(k)}:${stringifyJson(v)}`).join(",")}}`;
}

const ESCAPES: Record<string, string> = {
  '"': '"',
  "\\": "\\",
  "/": "/",
  b: "\b",
  f: "\f",
  n: "\n",
  r: "\r",
  t: "\t",
};
const NUMBER = /-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?/y;

class JsonParser {
  private i = 0;
  /** Index of the next backslash at or after `i` (-1: none left), kept so scans stay linear. */
  private slash = -2;
  constructor(private readonly s: string) {}

  nextSlash(): number {
    if (this.slash !== -1 && this.slash < this.i) this.slash = this.s.indexOf("\\", this.i);
    return this.slash;
  }

  fail(message: string): never {
    throw new ProtocolError(E.Json, `json: ${message} at offset ${this.i}`);
  }

  ws(): void {
    const s = this.s;
    while (this.i < s.length) {
      const c = s.charCodeAt(this.i);
      if (c !== 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) break;
      this.i++;
    }
  }

  expect(ch: string): void {
    this.ws();
    if (this.s[this.i] !== ch)
      this.fail(this.i >= this.s.length ? `expected '${ch}', got end` : `expected '${ch}'`);
    this.i++;
  }

  end(): void {
    this.ws();
    if (this.i !== this.s.length) this.fail("text after the value");
  }

  value(depth: number): JsonValue {
    this.ws();
    const c = this.s[this.i];
    if (c === "{")
      return Object.fromEntries(this.entries(depth + 1)) as { [key: string]: JsonValue };
    if (c === "[") return this.array(depth + 1);
    if (c === '"') return this.string();
    if (this.s.startsWith("true", this.i)) return ((this.i += 4), true);
    if (this.s.startsWith("false", this.i)) return ((this.i += 5), false);
    if (this.s.startsWith("null", this.i)) return ((this.i += 4), null);
    NUMBER.lastIndex = this.i;
    const m = NUMBER.exec(this.s);
    if (!m) return this.fail(c === undefined ? "unexpected end" : "unexpected character");
    this.i += m[0].length;
    return Number(m[0]);
  }

  entries(depth: number): JsonEntries {
    if (depth > M2Limits.maxDepth) this.fail(`nested deeper than ${M2Limits.maxDepth}`);
    this.expect("{");
    const out: JsonEntries = [];
    this.ws();
    if (this.s[this.i] === "}") return (this.i++, out);
    for (;;) {
      this.ws();
      if (this.s[this.i] !== '"') this.fail("expected a string key");
      const key = this.string();
      this.expect(":");
      out.push([key, this.value(depth)]);
      if (out.length > M2Limits.maxHeaders)
        this.fail(`object with more than ${M2Limits.maxHeaders} keys`);
      this.ws();
      const c = this.s[this.i++];
      if (c === "}") return out;
      if (c !== ",") this.fail("expected ',' or '}'");
    }
  }

  array(depth: number): JsonValue[] {
    if (depth > M2Limits.maxDepth) this.fail(`nested deeper than ${M2Limits.maxDepth}`);
    this.expect("[");
    const out: JsonValue[] = [];
    this.ws();
    if (this.s[this.i] === "]") return (this.i++, out);
    for (;;) {
      out.push(this.value(depth));
      this.ws();
      const c = this.s[this.i++];
      if (c === "]") return out;
      if (c !== ",") this.fail("expected ',' or ']'");
    }
  }

  string(): string {
    const s = this.s;
    this.i++; // opening quote
    let out = "";
    for (;;) {
      // Jump to the next quote or backslash; raw control characters in between are accepted
      // (Mongrel2 sends them unescaped).
      const quote = s.indexOf('"', this.i);
      if (quote < 0) this.fail("unterminated string");
      const slash = this.nextSlash();
      if (slash < 0 || slash > quote) {
        out += s.slice(this.i, quote);
        this.i = quote + 1;
        return out;
      }
      out += s.slice(this.i, slash);
      this.i = slash;
      const e = s[this.i + 1];
      if (e === "u") {
        const hex = s.slice(this.i + 2, this.i + 6);
        if (!/^[0-9a-fA-F]{4}$/.test(hex)) this.fail("bad \\u escape");
        out += String.fromCharCode(parseInt(hex, 16));
        this.i += 6;
      } else if (e !== undefined && Object.hasOwn(ESCAPES, e)) {
        out += ESCAPES[e];
        this.i += 2;
      } else {
        this.fail("bad escape");
      }
    }
  }
}

/** Parse JSON text or UTF-8 bytes (invalid UTF-8 becomes U+FFFD). Throws ProtocolError ERR_JSON. */
export function parseJson(input: Uint8Array | string): JsonValue {
  const p = new JsonParser(typeof input === "string" ? input : utf8Lenient(input));
  const value = p.value(0);
  p.end();
  return value;
}

/** Parse a JSON object, keeping its keys in order (duplicates too). Throws ERR_JSON if not an object. */
export function parseJsonEntries(input: Uint8Array | string): JsonEntries {
  const text = typeof input === "string" ? input : utf8Lenient(input);
  const p = new JsonParser(text);
  p.ws();
  if (text[text.search(/\S|$/)] !== "{") p.fail("not an object");
  const entries = p.entries(1);
  p.end();
  return entries;
}
