import { describe, expect, it } from "vitest";
import { join } from "node:path";
import { fetchApp, nodeApp, parseFrontends, resolveApp } from "../../../handler/index.js";
import { packageRoot, resolveModule } from "../../../handler/load-app.js";

describe("parseFrontends", () => {
  it("takes explicit triples and hosts (default ports), several at once", () => {
    expect(parseFrontends("tcp://a:1,tcp://a:2,tcp://a:3; fe2")).toEqual([
      { requests: "tcp://a:1", replies: "tcp://a:2", events: "tcp://a:3" },
      { requests: "tcp://fe2:9997", replies: "tcp://fe2:9996", events: "tcp://fe2:9998" },
    ]);
    expect(parseFrontends("ipc:///t/r,ipc:///t/p,ipc:///t/e")[0]!.events).toBe("ipc:///t/e");
  });

  it("refuses what is not an endpoint list", () => {
    for (const bad of ["", "a,b", "http://x:1,tcp://a:2,tcp://a:3", "bad/host"]) {
      expect(() => parseFrontends(bad)).toThrow(expect.objectContaining({ code: "ERR_ENDPOINTS" }));
    }
  });
});

describe("resolveApp", () => {
  it("tells Fetch apps from Node listeners", () => {
    expect(resolveApp({ fetch: () => new Response() }).kind).toBe("fetch");
    expect(resolveApp((_r: Request) => new Response()).kind).toBe("fetch");
    expect(resolveApp((_req: unknown, _res: unknown) => {}).kind).toBe("node");
    expect(resolveApp(Object.assign(() => {}, { handle() {} })).kind).toBe("node");
    expect(resolveApp({ callback: () => () => {} }).kind).toBe("node");
    expect(resolveApp(fetchApp((_r: Request, _c: unknown) => new Response())).kind).toBe("fetch");
    expect(resolveApp(nodeApp(() => {})).kind).toBe("node");
    expect(resolveApp((_a: unknown, _b: unknown) => new Response(), "fetch").kind).toBe("fetch");
  });

  it("refuses what is not an app", () => {
    expect(() => resolveApp(42)).toThrow(expect.objectContaining({ code: "ERR_APP_KIND" }));
    expect(() => resolveApp({})).toThrow(expect.objectContaining({ code: "ERR_APP_KIND" }));
  });
});

describe("resolveModule", () => {
  const root = packageRoot();
  it("maps a TypeScript example to its compiled twin, also by directory", () => {
    expect(resolveModule("examples/hello/index.ts", root)).toBe(
      join(root, "dist/examples/hello/index.js"),
    );
    expect(resolveModule("examples/hello", root)).toBe(join(root, "dist/examples/hello/index.js"));
    expect(resolveModule("dist/examples/hello/index.js", root)).toBe(
      join(root, "dist/examples/hello/index.js"),
    );
  });

  it("finds the package's examples from any directory", () => {
    expect(resolveModule("examples/hello/index.ts", "/")).toBe(
      join(root, "dist/examples/hello/index.js"),
    );
  });

  it("names a missing file, and passes package names through", () => {
    expect(() => resolveModule("./nope.js", root)).toThrow(
      expect.objectContaining({ code: "ERR_MODULE" }),
    );
    expect(resolveModule("some-package", root)).toBe("some-package");
  });
});
