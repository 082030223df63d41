/**
 * The format is language-neutral: Debian's python3-msgpack (raw=False) decodes every valid Ferry
 * vector to its value, and encodes every canonical value to the same bytes as the TS encoder.
 */
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { PYTHON } from "../support/processes.js";
import { loadVectors, VECTORS_DIR, type ValidVector } from "./vector-json.js";

const SCRIPT = fileURLToPath(new URL("./decode_vectors.py", import.meta.url));

interface Summary {
  vectors: number;
  decoded: number;
  canonical: number;
  encoded: number;
  failures: unknown[];
}

describe("ferry vectors in Python (python3-msgpack)", () => {
  it("decodes every valid vector to its value and encodes canonical values byte for byte", () => {
    const run = spawnSync(PYTHON, [SCRIPT, VECTORS_DIR], { encoding: "utf8", timeout: 20_000 });
    expect(run.stderr).toBe("");
    expect(run.status).toBe(0);
    const summary = JSON.parse(run.stdout) as Summary;
    const valid = loadVectors<ValidVector>("ferry-valid.json");
    expect(summary.failures).toEqual([]);
    expect(summary.vectors).toBe(valid.length);
    expect(summary.decoded).toBe(valid.length);
    expect(summary.canonical).toBe(valid.filter((v) => v.canonical !== false).length);
    expect(summary.encoded).toBe(summary.canonical);
  });
});
