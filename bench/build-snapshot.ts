/**
 * The Ferry build a run measures. Others may rebuild dist/ while a run takes its half hour, so a
 * run copies bin/, dist/, handler/python/ and package.json once, at its start, and starts every
 * Ferry process from that copy (node_modules is linked, not copied).
 */
import { cpSync, existsSync, mkdirSync, rmSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import { BENCH, ROOT } from "./processes.js";

let root = ROOT;
let made: string | undefined;

/** Where bin/ferry.js, dist/ and handler/python/ are read from in this run. */
export function ferryRoot(): string {
  return root;
}

export function snapshotBuild(): string {
  const dir = join(BENCH, "results", "tmp", `build-${process.pid}-${Date.now()}`);
  mkdirSync(join(dir, "handler"), { recursive: true });
  for (const part of ["bin", "dist", "package.json"]) {
    if (existsSync(join(ROOT, part)))
      cpSync(join(ROOT, part), join(dir, part), { recursive: true });
  }
  if (existsSync(join(ROOT, "handler", "python"))) {
    cpSync(join(ROOT, "handler", "python"), join(dir, "handler", "python"), {
      recursive: true,
      filter: (src) => !src.includes("__pycache__"),
    });
  }
  symlinkSync(join(ROOT, "node_modules"), join(dir, "node_modules"));
  root = dir;
  made = dir;
  return dir;
}

export function removeSnapshot(): void {
  if (made) rmSync(made, { recursive: true, force: true });
  made = undefined;
  root = ROOT;
}
