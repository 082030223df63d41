/** Paced runs: how long, at what rate, and when a stack did not keep its rate. */
import { describe, expect, it } from "vitest";
import {
  KEEP_SHARE,
  PACED_MAX_S,
  pacedSeconds,
  rateProblem,
  shareOf,
} from "../../../bench/paced.js";
import type { WrkResult } from "../../../bench/wrk.js";

function run(rps: number, errors = 0): WrkResult {
  const latency = { p50: 1, p90: 2, p99: 3, p999: 4, mean: 1, max: 5 };
  return {
    rps,
    requests: rps * 5,
    durationS: 5,
    errors: { connect: 0, read: 0, write: 0, status: errors, timeout: 0 },
    latency,
  };
}

describe("pacedSeconds", () => {
  it("is --duration, capped", () => {
    expect(pacedSeconds({ durationS: 4 })).toBe(4);
    expect(pacedSeconds({ durationS: 10 })).toBe(PACED_MAX_S);
  });
});

describe("shareOf", () => {
  it("is a whole rate, at least 1", () => {
    expect(shareOf(13_227, 0.5)).toBe(6_614);
    expect(shareOf(1, 0.5)).toBe(1);
  });

  it("has no rate without a figure", () => {
    expect(shareOf(undefined, 0.5)).toBeUndefined();
    expect(shareOf(NaN, 0.5)).toBeUndefined();
    expect(shareOf(0, 0.5)).toBeUndefined();
  });
});

describe("rateProblem", () => {
  it("is nothing when every round served the rate", () => {
    expect(rateProblem(3000, [run(2999), run(KEEP_SHARE * 3000)])).toBeUndefined();
  });

  it("names the rounds that fell short and what they served", () => {
    expect(rateProblem(3000, [run(2999), run(2766.4)])).toBe(
      "did not keep 3,000 req/s in 1 of 2 rounds (served 2,766)",
    );
  });

  it("names errors too", () => {
    expect(rateProblem(3000, [run(1000, 3)])).toBe(
      "did not keep 3,000 req/s in 1 of 1 rounds (served 1,000); 3 errors",
    );
  });
});
