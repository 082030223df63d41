/** loadApp: CommonJS apps are required, so they see themselves loaded by another module. */
import { afterEach, describe, expect, it } from "vitest";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { isCommonJsFile, loadApp } from "../../../handler/load-app.js";
import { tempDir } from "../../support/tmp.js";

const dirs: Array<() => void> = [];
afterEach(() => {
  for (const cleanup of dirs.splice(0)) cleanup();
});

function dir(): string {
  const d = tempDir("ferry-load-app-");
  dirs.push(d.cleanup);
  return d.path;
}

/** A CommonJS app using the `if (!module.parent) listen()` idiom; records what it saw. */
const IDIOM = (key: string) => `
const seen = (globalThis[${JSON.stringify(key)}] = {});
function app(req, res) { res.end("hi"); }
seen.parent = module.parent ? "required" : "main";
seen.requireMain = require.main === module;
if (!module.parent) seen.listened = true;
module.exports = app;
`;

type Seen = { parent?: string; requireMain?: boolean; listened?: boolean };
const seenBy = (key: string) => (globalThis as unknown as Record<string, Seen>)[key];

describe("loadApp and CommonJS", () => {
  it("requires a .js file outside an ES module package: module.parent is set", async () => {
    const d = dir();
    writeFileSync(join(d, "app.js"), IDIOM("__ferryCjsJs"));
    const { app } = await loadApp(join(d, "app.js"));
    expect(typeof app).toBe("function");
    expect(seenBy("__ferryCjsJs")).toEqual({ parent: "required", requireMain: false });
  });

  it("requires a .cjs file, also inside an ES module package", async () => {
    const d = dir();
    writeFileSync(join(d, "package.json"), JSON.stringify({ type: "module" }));
    writeFileSync(join(d, "app.cjs"), IDIOM("__ferryCjs"));
    const { app } = await loadApp(join(d, "app.cjs"));
    expect(typeof app).toBe("function");
    expect(seenBy("__ferryCjs")).toEqual({ parent: "required", requireMain: false });
  });

  it("takes exports.default (compiled TypeScript) and named exports (--export)", async () => {
    const d = dir();
    writeFileSync(
      join(d, "app.js"),
      `exports.default = { fetch: () => new Response("d") }; exports.other = { fetch() {} };`,
    );
    const loaded = await loadApp(join(d, "app.js"));
    expect(typeof (loaded.app as { fetch?: unknown }).fetch).toBe("function");
    const other = await loadApp(join(d, "app.js"), "other");
    expect(typeof (other.app as { fetch?: unknown }).fetch).toBe("function");
  });

  it("imports ES modules as before", async () => {
    const d = dir();
    mkdirSync(join(d, "esm"));
    writeFileSync(join(d, "esm", "package.json"), JSON.stringify({ type: "module" }));
    writeFileSync(join(d, "esm", "app.js"), `export default { fetch: () => new Response("m") };`);
    writeFileSync(join(d, "app.mjs"), `export const app = (req, res) => res.end();`);
    expect(isCommonJsFile(join(d, "esm", "app.js"))).toBe(false);
    expect(isCommonJsFile(join(d, "app.mjs"))).toBe(false);
    expect(
      typeof ((await loadApp(join(d, "esm", "app.js"))).app as { fetch?: unknown }).fetch,
    ).toBe("function");
    expect(typeof (await loadApp(join(d, "app.mjs"))).app).toBe("function");
  });

  it("reports an app module that throws while loading", async () => {
    const d = dir();
    writeFileSync(join(d, "app.js"), `throw new Error("config missing");`);
    await expect(loadApp(join(d, "app.js"))).rejects.toThrow(/config missing/);
  });
});
