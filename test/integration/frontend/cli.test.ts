/** `ferry check` and `ferry frontend` as users run them: exit codes, problem lists, env overrides. */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { freePort } from "../../support/ports.js";
import { startFerry, stopAll } from "../../support/processes.js";
import { tempDir } from "../../support/tmp.js";
import { get } from "./harness.js";

describe("ferry CLI", () => {
  const dir = tempDir();
  afterAll(async () => {
    await stopAll();
    dir.cleanup();
  });

  it("check lists every problem of a bad config with its path, exit 1", async () => {
    const file = join(dir.path, "bad.json");
    writeFileSync(
      file,
      JSON.stringify({
        listeners: [{ host: "127.0.0.1", port: 99999 }],
        hosts: [
          { names: ["*"], routes: [{ path: "/", target: { kind: "handler", group: "nope" } }] },
          { names: ["*"], routes: [{ path: "api", target: { kind: "teleport" } }] },
        ],
        groups: {
          default: {
            requests: "tcp://127.0.0.1:1",
            replies: "http://x",
            events: "tcp://127.0.0.1:1",
            timeout: -5,
            colour: "blue",
          },
        },
        handlers: {},
      }),
    );
    const proc = startFerry(["check", file]);
    expect(await proc.exited).toBe(1);
    const out = proc.output();
    for (const expected of [
      "FERRY_CONFIG_INVALID",
      "listeners[0].port",
      'hosts[0].routes[0].target.group: unknown group "nope"',
      "hosts[1].names[0]",
      "hosts[1].routes[0].path",
      "hosts[1].routes[0].target",
      "groups.default.replies",
      "groups.default.timeout",
      "groups.default.colour: unknown key",
      "groups.default.events: tcp://127.0.0.1:1 is already bound by groups.default.requests",
      'handlers: unknown key: use "groups"',
    ]) {
      expect(out).toContain(expected);
    }
  });

  it("check accepts a good config, exit 0", async () => {
    const file = join(dir.path, "good.json");
    writeFileSync(
      file,
      JSON.stringify({
        listeners: [{ port: 8080 }],
        hosts: [
          {
            names: ["example.com", "*.example.com"],
            default: true,
            routes: [{ path: "/", target: { kind: "handler", group: "app" } }],
          },
        ],
        groups: {
          app: { requests: "ipc:///tmp/a", replies: "ipc:///tmp/b", events: "ipc:///tmp/c" },
        },
      }),
    );
    const proc = startFerry(["check", file]);
    expect(await proc.exited).toBe(0);
    expect(proc.output()).toMatch(/^ok: /);
  });

  it("check reports a file that is not JSON", async () => {
    const file = join(dir.path, "broken.json");
    writeFileSync(file, "{ nope");
    const proc = startFerry(["check", file]);
    expect(await proc.exited).toBe(1);
    expect(proc.output()).toContain("FERRY_CONFIG_READ");
  });

  it("frontend refuses a bad config before binding anything", async () => {
    const proc = startFerry(["frontend", "--config", join(dir.path, "bad.json")]);
    expect(await proc.exited).toBe(1);
    expect(proc.output()).toContain("groups.default.timeout");
  });

  it("frontend runs on the built-in default with env overrides, and stops on SIGTERM", async () => {
    const [port, a, b, c] = [
      await freePort(),
      await freePort(),
      await freePort(),
      await freePort(),
    ];
    const proc = startFerry(["frontend"], {
      env: {
        FERRY_PORT: String(port),
        FERRY_REQUESTS: `tcp://127.0.0.1:${a}`,
        FERRY_REPLIES: `tcp://127.0.0.1:${b}`,
        FERRY_EVENTS: `tcp://127.0.0.1:${c}`,
      },
    });
    await proc.waitFor(
      new RegExp(
        `"address":"http://127.0.0.1:${port}","fid":"ferry-[0-9a-f]{16}","msg":"listening"`,
      ),
    );
    expect((await get(`http://127.0.0.1:${port}/`)).status).toBe(503);
    expect(await proc.stop("SIGTERM")).toBe(0);
  });

  it("frontend rejects a bad FERRY_PORT", async () => {
    const proc = startFerry(["frontend"], { env: { FERRY_PORT: "http" } });
    expect(await proc.exited).toBe(1);
    expect(proc.output()).toContain("FERRY_PORT");
  });
});
