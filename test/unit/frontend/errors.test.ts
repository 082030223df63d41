/** The error registry and docs/errors.md list the same codes with the same statuses. */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { FerryError, FerryErrors, type FerryErrorCode } from "../../../frontend/errors.js";
import { ROOT } from "../../support/processes.js";

function documented(): Map<string, number | undefined> {
  const text = readFileSync(join(ROOT, "docs/errors.md"), "utf8");
  const rows = new Map<string, number | undefined>();
  for (const m of text.matchAll(/^\|\s*(\d{3}|—)\s*\|\s*`(FERRY_[A-Z_]+)`\s*\|/gm)) {
    rows.set(m[2]!, m[1] === "—" ? undefined : Number(m[1]));
  }
  return rows;
}

describe("error registry", () => {
  it("agrees with docs/errors.md, code by code and status by status", () => {
    const docs = documented();
    const registry = new Map(
      Object.entries(FerryErrors).map(([code, e]) => [code, e.status as number | undefined]),
    );
    expect([...docs.keys()].sort()).toEqual([...registry.keys()].sort());
    for (const [code, status] of registry) expect(docs.get(code), code).toBe(status);
  });

  it("gives every error class a stable code and the registry's status", () => {
    for (const code of Object.keys(FerryErrors) as FerryErrorCode[]) {
      const err = new FerryError(code, "x");
      expect(err.code).toBe(code);
      expect(err.status).toBe(FerryErrors[code].status);
      expect(code).toMatch(/^FERRY_[A-Z_]+$/);
    }
  });
});
