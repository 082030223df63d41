import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** A fresh temp directory, removed by the returned cleanup. */
export function tempDir(prefix = "ferry-test-"): { path: string; cleanup: () => void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, cleanup: () => rmSync(path, { recursive: true, force: true }) };
}

/** `ipc://` endpoints in a fresh temp directory (short names: ipc paths are limited to ~100 bytes). */
export function ipcEndpoints(dir: string): { requests: string; replies: string; events: string } {
  return {
    requests: `ipc://${join(dir, "req")}`,
    replies: `ipc://${join(dir, "rep")}`,
    events: `ipc://${join(dir, "evt")}`,
  };
}
