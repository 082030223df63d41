/** The streaming benchmark's results as a scenario of the report. */
import type { ScenarioResult } from "../report/types.js";
import type { TransferResult } from "./modes.js";
import { MiB } from "./transfers.js";

/** What the issue asks of the frontend: RSS under this while 1 GiB streams. */
export const RSS_LIMIT_MIB = 150;

export function toScenario(results: TransferResult[]): ScenarioResult {
  const round = (n: number) => Math.round(n * 10) / 10;
  return {
    id: "streaming",
    title: "Streaming: 1 GiB transfers, peak RSS of the serving process",
    unit: "MiB/s",
    higherIsBetter: true,
    method:
      "bench/streaming.ts: one transfer per mode over raw sockets (downloads read at a fixed slow " +
      "pace, uploads as fast as possible); peak RSS is the serving process's VmHWM.",
    rows: results.map((r) => ({
      id: r.mode,
      label: r.mode,
      median: round(r.mibPerSecond),
      min: round(r.mibPerSecond),
      max: round(r.mibPerSecond),
      samples: [round(r.mibPerSecond)],
      extra: {
        "peak RSS MiB": round(r.peakRssMiB),
        "baseline RSS MiB": round(r.baselineRssMiB),
        "MiB moved": round(r.bytesTransferred / MiB),
        ...(r.handlerPeakRssMiB !== undefined && {
          "handler peak RSS MiB": round(r.handlerPeakRssMiB),
        }),
      },
      ...(r.complete
        ? {}
        : { warning: `partial: ${r.bytesTransferred} of ${r.bytesExpected} bytes` }),
    })),
    ratios: [],
    limits: results.map((r) => ({
      name: `${r.mode}: peak RSS of the serving process`,
      value: round(r.peakRssMiB),
      unit: "MiB",
      target: { op: "<" as const, value: RSS_LIMIT_MIB },
      pass: r.peakRssMiB < RSS_LIMIT_MIB,
    })),
    skipped: [],
    notes: [],
  };
}
