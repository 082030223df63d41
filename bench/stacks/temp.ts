import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const made: string[] = [];

/** A fresh temp directory for one stack's files; all are removed by cleanTemps(). */
export function stackTemp(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), `ferry-bench-${prefix}`));
  made.push(dir);
  return dir;
}

export function cleanTemps(): void {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
}
