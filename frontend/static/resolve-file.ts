/**
 * Resolves mapped path segments to a real file or directory inside the root. The containment
 * check runs on real paths (symlinks resolved), so a link inside the root that points outside it
 * is treated as absent, whatever the request looked like.
 */
import { realpath, stat } from "node:fs/promises";
import type { Stats } from "node:fs";
import { join, sep } from "node:path";

export interface ResolvedEntry {
  /** The real path (symlinks resolved), inside the root's real path. */
  path: string;
  stats: Stats;
}

/** `candidate` is `root` or below it. Both must be absolute, normalised paths. */
export function isContained(root: string, candidate: string): boolean {
  if (candidate === root) return true;
  const base = root.endsWith(sep) ? root : root + sep;
  return candidate.startsWith(base);
}

/** The real path of the root, or null when it does not exist. */
export async function realRoot(dir: string): Promise<string | null> {
  try {
    return await realpath(dir);
  } catch {
    return null;
  }
}

/** `root` joined with decoded segments; null when absent, unreadable or outside the root. */
export function resolveInRoot(root: string, segments: string[]): Promise<ResolvedEntry | null> {
  return resolveContained(root, join(root, ...segments));
}

/** An absolute path, checked before and after resolving symlinks. */
export async function resolveContained(root: string, path: string): Promise<ResolvedEntry | null> {
  if (!isContained(root, path)) return null;
  let real: string;
  try {
    real = await realpath(path);
  } catch {
    return null;
  }
  if (!isContained(root, real)) return null;
  try {
    return { path: real, stats: await stat(real) };
  } catch {
    return null;
  }
}
