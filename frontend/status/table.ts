/**
 * `ferry status` as a terminal table, in the spirit of `m2sh running` and `top`: a summary line,
 * one row per group, then each ferry group's handlers (the first `maxHandlers`; the rest are
 * counted). Pure: a status document in, text out.
 */
import type { StatusDoc } from "./snapshot.js";

function table(header: string[], rows: string[][], right: ReadonlySet<number>): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (right.has(i) ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
      .join("  ")
      .trimEnd();
  return [line(header), ...rows.map(line)].join("\n");
}

export function duration(seconds: number): string {
  const d = Math.floor(seconds / 86_400);
  const h = Math.floor((seconds % 86_400) / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  if (d > 0) return `${d}d${h}h`;
  if (h > 0) return `${h}h${m}m`;
  if (m > 0) return `${m}m${s}s`;
  return `${s}s`;
}

function ago(ms: number): string {
  return ms < 1000 ? `${ms}ms` : `${(ms / 1000).toFixed(1)}s`;
}

export function renderStatus(doc: StatusDoc, maxHandlers = 10): string {
  const out: string[] = [];
  const r = doc.config.lastReload;
  out.push(
    `${doc.fid}  pid ${doc.pid}  up ${duration(doc.uptime)}  config ${doc.config.source}` +
      (r ? `  reloaded ${r.time} ${r.ok ? "ok" : "FAILED"}` : ""),
  );
  out.push(
    `connections ${doc.connections}  websockets ${doc.websockets}  in flight ${doc.inflight}  ` +
      `req/s ${doc.rate.toFixed(1)}  err/s ${doc.errorRate.toFixed(1)}  ` +
      `listening ${doc.listeners.map((l) => l.address).join(", ")}`,
  );
  out.push("");
  out.push(
    table(
      [
        "GROUP",
        "PROTOCOL",
        "STATE",
        "LIVE",
        "QUEUED",
        "IN FLIGHT",
        "REQ/S",
        "ERR/S",
        "REQUESTS",
        "ERRORS",
      ],
      doc.groups.map((g) => [
        g.name,
        g.protocol,
        g.state === "draining" ? "draining" : g.live > 0 ? "serving" : "NO HANDLER",
        String(g.live),
        String(g.queued),
        String(g.inflight),
        g.rate.toFixed(1),
        g.errorRate.toFixed(1),
        String(g.requests),
        String(g.errors),
      ]),
      new Set([3, 4, 5, 6, 7, 8, 9]),
    ),
  );
  for (const g of doc.groups) {
    if (g.handlers === null || g.handlers.length === 0) continue;
    const shown = g.handlers.slice(0, maxHandlers);
    out.push("");
    out.push(
      table(
        [`HANDLER (${g.name})`, "AGENT", "IN FLIGHT", "CAPACITY", "LAST HEARD", "STATE"],
        shown.map((h) => [
          h.hid,
          h.agent ?? "-",
          String(h.inflight),
          String(h.capacity),
          ago(h.lastHeartbeat),
          h.draining ? "draining" : "live",
        ]),
        new Set([2, 3, 4]),
      ),
    );
    if (g.handlers.length > shown.length)
      out.push(`... and ${g.handlers.length - shown.length} more (--all, or --json)`);
  }
  return out.join("\n") + "\n";
}

/** Exit status: 1 when a group routes lead to has no live handler. */
export function statusExitCode(doc: StatusDoc): number {
  return doc.groups.some((g) => g.state === "serving" && g.live === 0) ? 1 : 0;
}
