/** The Mongrel2 vectors decode the same in plain Python (Debian's python3, no Ferry code). */
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { expect, it } from "vitest";
import { PYTHON, ROOT } from "../support/processes.js";

const SCRIPT = fileURLToPath(new URL("./mongrel2-vectors.py", import.meta.url));

it("python3 decodes every valid Mongrel2 vector to its value and rejects every invalid one", () => {
  const out = execFileSync(PYTHON, [SCRIPT, ROOT], { encoding: "utf8", timeout: 20_000 });
  expect(out.trim()).toBe("checked");
});
