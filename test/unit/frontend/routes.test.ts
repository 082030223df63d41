import { describe, expect, it } from "vitest";
import { Router, type RouteMatch } from "../../../frontend/routes.js";
import type { HostConfig } from "../../../frontend/config/schema.js";

const to = (group: string) => ({ kind: "handler" as const, group });
const hosts: HostConfig[] = [
  {
    names: ["example.com"],
    default: false,
    routes: [
      { path: "/", target: to("root") },
      { path: "/api", target: to("api") },
      { path: "/api/v2/", target: to("v2") },
    ],
  },
  { names: ["*.example.com"], default: false, routes: [{ path: "/", target: to("sub") }] },
  { names: ["fallback.test"], default: true, routes: [{ path: "/only", target: to("fallback") }] },
];

/** The handler group a match leads to (every route here targets a group). */
const groupOf = (m: RouteMatch | undefined) =>
  m?.target.kind === "handler" ? m.target.group : undefined;

describe("Router", () => {
  const router = new Router(hosts);
  const group = (host: string | undefined, path: string) => groupOf(router.match(host, path));

  it("matches exact names (case-insensitive, port and trailing dot ignored)", () => {
    expect(group("example.com", "/")).toBe("root");
    expect(group("EXAMPLE.com:8080", "/x")).toBe("root");
    expect(group("example.com.", "/x")).toBe("root");
  });

  it("matches the longest prefix on a segment boundary", () => {
    expect(group("example.com", "/api")).toBe("api");
    expect(group("example.com", "/api/users")).toBe("api");
    expect(group("example.com", "/apix")).toBe("root");
    expect(group("example.com", "/api/v2")).toBe("v2");
    expect(group("example.com", "/api/v2/x")).toBe("v2");
    expect(router.match("example.com", "/api/x")?.prefix).toBe("/api");
    expect(router.match("example.com", "/x")?.prefix).toBe("");
  });

  it("matches wildcards at any depth, then the default host", () => {
    expect(group("a.example.com", "/")).toBe("sub");
    expect(group("a.b.example.com", "/")).toBe("sub");
    expect(group("other.org", "/only/x")).toBe("fallback");
    expect(group(undefined, "/only")).toBe("fallback");
    expect(group("other.org", "/nope")).toBeUndefined();
  });

  it("handles IPv6 literals", () => {
    const r = new Router([
      { names: ["[::1]"], default: false, routes: [{ path: "/", target: to("v6") }] },
    ]);
    expect(groupOf(r.match("[::1]:8080", "/"))).toBe("v6");
    expect(groupOf(r.match("[::1]", "/"))).toBe("v6");
  });

  it("matches Mongrel2-style patterns at the start of the path", () => {
    const r = new Router([
      {
        names: ["*"],
        default: false,
        routes: [
          { path: "/", target: to("root") },
          { path: "/users", target: to("users") },
          { path: "/users/([0-9]+)", target: to("user") },
        ],
      },
    ]);
    expect(r.match("x", "/users/42")).toMatchObject({
      pattern: "/users/([0-9]+)",
      prefix: "/users/",
    });
    expect(groupOf(r.match("x", "/users/42"))).toBe("user");
    expect(groupOf(r.match("x", "/users/42/posts"))).toBe("user");
    expect(groupOf(r.match("x", "/users/bob"))).toBe("users");
    expect(groupOf(r.match("x", "/other"))).toBe("root");
  });
});
