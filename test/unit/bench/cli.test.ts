/** The bench's command line: the CPU rate of the hello scenario. */
import { describe, expect, it } from "vitest";
import { parseCli } from "../../../bench/cli.js";

describe("parseCli --cpu-rate", () => {
  it("is 3,000 req/s unless given", () => {
    expect(parseCli(["hello"]).options.cpuRate).toBe(3000);
    expect(parseCli(["hello", "--cpu-rate", "1500"]).options.cpuRate).toBe(1500);
  });

  it("0 leaves the CPU runs out", () => {
    expect(parseCli(["--cpu-rate", "0"]).options.cpuRate).toBe(0);
  });

  it("refuses a value that is not a number", () => {
    expect(() => parseCli(["--cpu-rate", "fast"])).toThrow(/--cpu-rate needs a number/);
    expect(() => parseCli(["--cpu-rate"])).toThrow(/--cpu-rate needs a number/);
  });
});
