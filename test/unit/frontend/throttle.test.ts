import { describe, expect, it } from "vitest";
import { Throttle } from "../../../frontend/throttle.js";

describe("Throttle", () => {
  it("lets one event per key through per window and counts the ones held back", () => {
    const t = new Throttle(1000);
    expect(t.pass("a", 0)).toBe(0);
    expect(t.pass("a", 10)).toBe(-1);
    expect(t.pass("a", 999)).toBe(-1);
    expect(t.pass("b", 20)).toBe(0);
    expect(t.pass("a", 1000)).toBe(2);
    expect(t.pass("a", 1500)).toBe(-1);
  });

  it("remembers a bounded number of keys, forgetting the oldest", () => {
    const t = new Throttle(1000, 2);
    t.pass("a", 0);
    t.pass("b", 0);
    t.pass("c", 0);
    expect(t.pass("a", 1)).toBe(0); // forgotten, so let through again
    expect(t.pass("c", 1)).toBe(-1);
  });
});
