/** docs/operations.md's example config is valid as written, and names what the code serves. */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { validateConfig } from "../../../frontend/config/validate.js";
import type { HandlerRegistry } from "../../../frontend/groups/handler-registry.js";
import { Frontend } from "../../../frontend/server.js";
import { statusSnapshot } from "../../../frontend/status/snapshot.js";
import { MemoryTransport } from "../../../frontend/transport/memory.js";
import { ROOT, startFerry, stopAll } from "../../support/processes.js";
import { tempDir } from "../../support/tmp.js";

const doc = readFileSync(join(ROOT, "docs/operations.md"), "utf8");
const tmp = tempDir("ferry-opsdoc-");
afterAll(async () => {
  await stopAll();
  tmp.cleanup();
});

describe("docs/operations.md", () => {
  it("its example config passes ferry check", async () => {
    const json = /```json\n([\s\S]*?)```/.exec(doc)![1]!;
    const file = join(tmp.path, "ferry.json");
    writeFileSync(file, json);
    const check = startFerry(["check", file]);
    expect(await check.exited, check.output()).toBe(0);
  });

  it("shows the status document with the fields the code serves", async () => {
    type Doc = Record<string, unknown> & {
      config: Record<string, unknown>;
      groups: Array<Record<string, unknown> & { handlers: Array<Record<string, unknown>> }>;
    };
    const example = JSON.parse(/## `GET \/status`\n\n```json\n([\s\S]*?)```/.exec(doc)![1]!) as Doc;
    const fe = new Frontend(
      validateConfig({
        listeners: [{ port: 0 }],
        hosts: [{ names: ["*"], routes: [{ path: "/", target: { kind: "handler", group: "g" } }] }],
        groups: { g: { requests: "inproc://a", replies: "inproc://b", events: "inproc://c" } },
      }),
      { transport: new MemoryTransport(), fid: "fe" },
    );
    await fe.start();
    try {
      const registry = (fe.groups.get("g") as unknown as { registry: HandlerRegistry }).registry;
      registry.seen(
        { kind: "hello", v: 2, hid: "h", secret: Buffer.alloc(32, 7), capacity: 1, inflight: 0 },
        0,
      );
      const real = JSON.parse(JSON.stringify(statusSnapshot(fe, { source: "x" }))) as Doc;
      const keys = (o: object) => Object.keys(o).sort();
      expect(keys(example)).toEqual(keys(real));
      expect(keys(example.config)).toEqual(keys(real.config));
      expect(keys(example.groups[0]!)).toEqual(keys(real.groups[0]!));
      expect(keys(example.groups[0]!.handlers[0]!)).toEqual(keys(real.groups[0]!.handlers[0]!));
      // Every field is explained in the table below the example.
      for (const key of keys(example)) expect(doc).toContain(`\`${key}`);
    } finally {
      await fe.stop(0);
    }
  });
});
