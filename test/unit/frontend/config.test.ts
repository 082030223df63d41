import { describe, expect, it } from "vitest";
import { applyEnv, loadConfig } from "../../../frontend/config/load.js";
import { validateConfig } from "../../../frontend/config/validate.js";
import { DEFAULT_CONFIG } from "../../../frontend/config/defaults.js";
import { ConfigError } from "../../../frontend/errors.js";

function problems(raw: unknown): string[] {
  try {
    validateConfig(raw);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems.map((p) => `${p.path}: ${p.message}`);
    throw err;
  }
  return [];
}

const base = () => structuredClone(DEFAULT_CONFIG) as unknown as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

describe("config", () => {
  it("built-in default: 127.0.0.1:6767, one ferry group on 9997/9996/9998, defaults filled, frozen", () => {
    const { config, source } = loadConfig({ env: {} });
    expect(source).toBe("built-in default");
    expect(config.listeners).toEqual([{ host: "127.0.0.1", port: 6767 }]);
    const g = config.groups.default!;
    expect(g).toMatchObject({
      name: "default",
      protocol: "ferry",
      requests: "tcp://127.0.0.1:9997",
      replies: "tcp://127.0.0.1:9996",
      events: "tcp://127.0.0.1:9998",
      timeout: 30_000,
      heartbeat: { interval: 1000, misses: 3 },
      queue: { length: 1024, wait: 5000 },
    });
    expect(config.limits.headerBytes).toBe(16 * 1024);
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.groups.default!.heartbeat)).toBe(true);
    expect(Object.isFrozen(config.hosts[0]!.routes[0]!.target)).toBe(true);
  });

  it("env overrides the first listener and the first group", () => {
    const raw = applyEnv(base(), {
      FERRY_HOST: "0.0.0.0",
      FERRY_PORT: "8080",
      FERRY_REQUESTS: "tcp://*:1",
      FERRY_REPLIES: "tcp://*:2",
      FERRY_EVENTS: "tcp://*:3",
    });
    const config = validateConfig(raw);
    expect(config.listeners[0]).toEqual({ host: "0.0.0.0", port: 8080 });
    expect(config.groups.default).toMatchObject({
      requests: "tcp://*:1",
      replies: "tcp://*:2",
      events: "tcp://*:3",
    });
  });

  it("env FERRY_PORT that is not a number is a problem named after it", () => {
    expect(() => applyEnv(base(), { FERRY_PORT: "80a" })).toThrow(/FERRY_PORT/);
  });

  it("lists schema and cross-field problems together, each with its path", () => {
    const raw = base();
    raw.listeners.push({ host: "127.0.0.1", port: 6767 });
    raw.hosts.push({
      names: ["*", "a.*.com"],
      default: true,
      routes: [
        { path: "/x", target: { kind: "handler", group: "ghost" } },
        { path: "/x/", target: { kind: "handler", group: "default" } },
      ],
    });
    raw.hosts[0].default = true;
    raw.groups.other = {
      requests: "tcp://127.0.0.1:9997",
      replies: "tcp://127.0.0.1:1",
      events: "tcp://127.0.0.1:2",
      inlineBodyLimit: 9 * 1024 * 1024,
      protocol: "http",
    };
    raw.limits = { headerBytes: 10, bogus: 1 };
    expect(problems(raw).sort()).toEqual(
      [
        "listeners[1].port: 127.0.0.1:6767 is already used by listeners[0]",
        'hosts[1].names[0]: "*" is already listed at hosts[0].names[0]',
        'hosts[1].names[1]: a wildcard is "*" or "*.domain"',
        "hosts[1].default: hosts[0] is already the default host",
        'hosts[1].routes[0].target.group: unknown group "ghost" (groups: default, other)',
        "hosts[1].routes[1].path: same prefix as routes[0]",
        "groups.other.requests: tcp://127.0.0.1:9997 is already bound by groups.default.requests",
        "groups.other.inlineBodyLimit: larger than limits.bodyBytes (8388608)",
        'groups.other.protocol: Invalid option: expected one of "ferry"|"mongrel2"',
        "limits.headerBytes: Too small: expected number to be >=1024",
        "limits.bogus: unknown key",
      ].sort(),
    );
  });

  it("refuses a route pattern that is not a regular expression", () => {
    const raw = base();
    raw.hosts[0].routes.push({ path: "/u/([0-9]+", target: { kind: "handler", group: "default" } });
    expect(problems(raw)).toEqual([
      expect.stringMatching(/^hosts\[0\]\.routes\[1\]\.path: not a valid pattern/),
    ]);
  });

  it("refuses retired Mongrel2 names with a hint", () => {
    const raw = base();
    raw.groups.default.send_spec = "tcp://127.0.0.1:1";
    expect(problems(raw)).toEqual([
      'groups.default.send_spec: unknown key: use "requests" (the PUSH endpoint)',
    ]);
  });

  it("accepts TLS listener and mongrel2 group shapes", () => {
    const raw = base();
    raw.listeners[0].tls = { key: "k.pem", cert: "c.pem" };
    raw.groups.default.protocol = "mongrel2";
    expect(problems(raw)).toEqual([]);
  });
});
