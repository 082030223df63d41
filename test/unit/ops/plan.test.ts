/** planReload: what a reload keeps, retunes, opens, retires and refuses, from two configs. */
import { describe, expect, it } from "vitest";
import { validateConfig } from "../../../frontend/config/validate.js";
import { planReload } from "../../../frontend/reload/plan.js";

const eps = (p: string) => ({
  requests: `ipc:///tmp/${p}-req`,
  replies: `ipc:///tmp/${p}-rep`,
  events: `ipc:///tmp/${p}-evt`,
});

function config(groups: Record<string, object>, extra: Record<string, unknown> = {}) {
  const first = Object.keys(groups)[0] ?? "a";
  return validateConfig({
    listeners: [{ port: 8080 }],
    hosts: [{ names: ["*"], routes: [{ path: "/", target: { kind: "handler", group: first } }] }],
    groups,
    ...extra,
  });
}

describe("planReload", () => {
  it("keeps an unchanged group, retunes one whose timeouts changed", () => {
    const plan = planReload(
      config({ a: eps("a"), b: eps("b") }),
      config({ a: eps("a"), b: { ...eps("b"), timeout: 5, queue: { wait: 9 } } }),
    );
    expect(plan.groups.keep).toEqual(["a"]);
    expect(plan.groups.retune.map((g) => [g.name, g.timeout, g.queue.wait])).toEqual([["b", 5, 9]]);
    expect(plan.groups.open).toEqual([]);
    expect(plan.groups.retire).toEqual([]);
    expect(plan.problems).toEqual([]);
  });

  it("opens added groups, retires removed ones, replaces one whose endpoints changed", () => {
    const plan = planReload(
      config({ a: eps("a"), b: eps("b") }),
      config({ a: eps("a2"), c: eps("c") }),
    );
    expect(plan.groups.open.map((g) => g.name).sort()).toEqual(["a", "c"]);
    expect(plan.groups.retire.sort()).toEqual(["a", "b"]);
    expect(plan.changes).toContain("group b: removed (drains)");
  });

  it("keeps the settings a group was built with, and says they wait for a restart", () => {
    const plan = planReload(
      config({ a: eps("a") }),
      config({ a: { ...eps("a"), heartbeat: { interval: 50 }, timeout: 7 } }),
    );
    expect(plan.groups.retune[0]!.heartbeat.interval).toBe(1000);
    expect(plan.groups.retune[0]!.timeout).toBe(7);
    expect(plan.atRestart).toEqual(["groups.a.heartbeat"]);
  });

  it("refuses a new group on an endpoint a draining group still binds", () => {
    const running = config({ a: eps("a"), b: eps("b") });
    const plan = planReload(running, config({ a: eps("a"), c: eps("b") }));
    expect(plan.problems.map((p) => p.path)).toEqual([
      "groups.c.requests",
      "groups.c.replies",
      "groups.c.events",
    ]);
    expect(plan.problems[0]!.message).toMatch(/still bound by group "b"/);
  });

  it("brings back a draining group asked for again (same name and endpoints)", () => {
    const old = config({ a: eps("a"), b: eps("b") });
    const plan = planReload(config({ a: eps("a") }), config({ a: eps("a"), b: eps("b") }), [
      old.groups.b!,
    ]);
    expect(plan.groups.revive.map((g) => g.name)).toEqual(["b"]);
    expect(plan.groups.open).toEqual([]);
    expect(plan.problems).toEqual([]);
  });

  it("adds and removes listeners by host:port; some keys wait for a restart", () => {
    const plan = planReload(
      config({ a: eps("a") }, { listeners: [{ port: 1 }, { port: 2 }] }),
      config(
        { a: eps("a") },
        {
          listeners: [{ port: 2 }, { port: 3 }],
          name: "other",
          limits: { connectionQueueBytes: 4096 },
        },
      ),
    );
    expect(plan.listeners.keep.map((l) => l.port)).toEqual([2]);
    expect(plan.listeners.add.map((l) => l.port)).toEqual([3]);
    expect(plan.listeners.remove).toEqual(["127.0.0.1:1"]);
    expect(plan.atRestart.sort()).toEqual(["limits.connectionQueueBytes", "name"]);
  });
});
