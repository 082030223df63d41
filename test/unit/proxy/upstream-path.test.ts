import { describe, expect, it } from "vitest";
import { ProxyRouteConfigSchema, upstreamPath } from "../../../frontend/proxy/index.js";
import { toProxyError } from "../../../frontend/proxy/errors.js";

const route = (upstream: string, stripPrefix?: string) =>
  ProxyRouteConfigSchema.parse(
    stripPrefix === undefined ? { upstream } : { upstream, stripPrefix },
  );

describe("upstreamPath", () => {
  it("joins the upstream's base path and the request path below stripPrefix", () => {
    expect(upstreamPath("/a?b=1", route("http://u"))).toBe("/a?b=1");
    expect(upstreamPath("/a", route("http://u/base/"))).toBe("/base/a");
    expect(upstreamPath("/api/a?q", route("http://u/v2", "/api"))).toBe("/v2/a?q");
    expect(upstreamPath("/api?q", route("http://u", "/api/"))).toBe("/?q");
    expect(upstreamPath("/api", route("http://u", "/api"))).toBe("/");
    // Not below the prefix (the router would not send it here): forwarded unchanged.
    expect(upstreamPath("/apix", route("http://u", "/api"))).toBe("/apix");
  });
});

describe("toProxyError", () => {
  it("maps undici timeouts to 504 and everything else to 502", () => {
    for (const code of [
      "UND_ERR_CONNECT_TIMEOUT",
      "UND_ERR_HEADERS_TIMEOUT",
      "UND_ERR_BODY_TIMEOUT",
    ]) {
      expect(toProxyError(Object.assign(new Error("t"), { code }))).toMatchObject({
        code: "FERRY_UPSTREAM_TIMEOUT",
        status: 504,
      });
    }
    for (const err of [
      Object.assign(new Error("r"), { code: "ECONNREFUSED" }),
      new AggregateError([Object.assign(new Error("r"), { code: "ECONNREFUSED" })]),
      new Error("no code"),
      "a string",
    ]) {
      expect(toProxyError(err)).toMatchObject({ code: "FERRY_UPSTREAM_ERROR", status: 502 });
    }
    const wrapped = new AggregateError([Object.assign(new Error("t"), { code: "ETIMEDOUT" })]);
    expect(toProxyError(wrapped).code).toBe("FERRY_UPSTREAM_TIMEOUT");
  });
});
