/**
 * Summarise V8 .cpuprofile files (from `node --cpu-prof`): self time per function and per
 * source file, top first, with (idle) and (garbage collector) kept visible.
 * Usage: node --import tsx bench/profile/summarise.ts FILE.cpuprofile [--top N]
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { ROOT } from "../processes.js";

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

export interface Entry {
  name: string;
  ms: number;
  share: number;
}
export interface Summary {
  totalMs: number;
  busyMs: number;
  functions: Entry[];
  files: Entry[];
}

function shortUrl(url: string): string {
  if (url === "") return "";
  const path = url.startsWith("file://") ? fileURLToPath(url) : url;
  const nm = path.lastIndexOf("node_modules/");
  if (nm >= 0) return path.slice(nm + "node_modules/".length);
  const rel = path.startsWith(ROOT) ? path.slice(ROOT.length) : path;
  // A run measures a copy of the build (bench/build-snapshot.ts): name files as in the tree.
  return rel.replace(/^bench\/results\/tmp\/build-[^/]+\//, "");
}

/** dist/<side>/<dir>, a package name (with its scope), node:internal..., or the file itself. */
function bucketOf(file: string): string {
  if (!file.includes("/")) return file;
  const parts = file.split("/");
  const dist = parts.indexOf("dist");
  if (dist >= 0) return parts.slice(dist, dist + 3).join("/");
  if (file.startsWith("@")) return parts.slice(0, 2).join("/");
  if (file.startsWith("/")) return file;
  return parts[0] ?? file;
}

export function summarise(profile: CpuProfile, top = 25): Summary {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const fnMs = new Map<string, number>();
  const fileMs = new Map<string, number>();
  let total = 0;
  let idle = 0;
  profile.samples.forEach((id, i) => {
    const dt = (profile.timeDeltas[i] ?? 0) / 1000;
    const node = byId.get(id);
    if (!node) return;
    total += dt;
    const f = node.callFrame;
    if (f.functionName === "(idle)") {
      idle += dt;
      return;
    }
    const file = shortUrl(f.url) || (f.functionName.startsWith("(") ? f.functionName : "(native)");
    const key = `${f.functionName || "(anonymous)"}  ${file}${f.url ? `:${f.lineNumber + 1}` : ""}`;
    fnMs.set(key, (fnMs.get(key) ?? 0) + dt);
    const bucket = bucketOf(file);
    fileMs.set(bucket, (fileMs.get(bucket) ?? 0) + dt);
  });
  const busy = total - idle;
  const rank = (m: Map<string, number>) =>
    [...m]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, ms]) => ({ name, ms, share: busy > 0 ? ms / busy : 0 }));
  return { totalMs: total, busyMs: busy, functions: rank(fnMs), files: rank(fileMs) };
}

export function printSummary(name: string, s: Summary): string {
  const pct = (x: number) => `${(100 * x).toFixed(1).padStart(5)}%`;
  const lines = [
    `${name}: ${(s.totalMs / 1000).toFixed(1)} s sampled, ${(s.busyMs / 1000).toFixed(1)} s busy (shares are of busy time)`,
  ];
  lines.push("  self time by function:");
  for (const e of s.functions)
    lines.push(`    ${pct(e.share)} ${e.ms.toFixed(0).padStart(7)} ms  ${e.name}`);
  lines.push("  self time by file / package:");
  for (const e of s.files)
    lines.push(`    ${pct(e.share)} ${e.ms.toFixed(0).padStart(7)} ms  ${e.name}`);
  return lines.join("\n");
}

export function summariseFile(file: string, top = 25): string {
  return printSummary(file, summarise(JSON.parse(readFileSync(file, "utf8")) as CpuProfile, top));
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  const args = process.argv.slice(2);
  const t = args.indexOf("--top");
  const top = t >= 0 ? Number(args[t + 1]) : 25;
  const files = args.filter((a, i) => a !== "--top" && (t < 0 || i !== t + 1));
  for (const f of files) process.stdout.write(summariseFile(f, top) + "\n\n");
}
