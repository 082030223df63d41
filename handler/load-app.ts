/**
 * Finds and loads the app module named on the command line. A `.ts` path inside this package
 * (e.g. `examples/hello/index.ts`) maps to its compiled twin under `dist/`; a directory means
 * its index; anything else that is not a file is imported as a package name. A CommonJS file
 * is required, not imported, so it sees itself required (`module.parent`, `require.main`) and
 * the common `if (!module.parent) app.listen(3000)` does not start a second server.
 */
import { existsSync, readFileSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, extname, isAbsolute, join, relative, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { HandlerError } from "./errors.js";

export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = join(dir, "package.json");
    if (existsSync(pkg)) {
      try {
        if ((JSON.parse(readFileSync(pkg, "utf8")) as { name?: string }).name === "ferry")
          return dir;
      } catch {
        // not ours; keep looking
      }
    }
    const up = dirname(dir);
    if (up === dir) return process.cwd();
    dir = up;
  }
}

const TS = new Set([".ts", ".mts", ".tsx"]);

function compiledTwin(tsPath: string): string | undefined {
  const root = packageRoot();
  const rel = relative(root, tsPath);
  if (rel.startsWith("..") || rel.startsWith("dist")) return undefined;
  const js = join(root, "dist", rel.slice(0, -extname(rel).length) + ".js");
  return existsSync(js) ? js : undefined;
}

function isFile(p: string): boolean {
  return existsSync(p) && statSync(p).isFile();
}

/**
 * The file (or package specifier) to import for `spec`. A relative path that names nothing
 * under `cwd` is also tried under this package (`examples/hello/index.ts` from anywhere).
 */
export function resolveModule(spec: string, cwd = process.cwd()): string {
  const local = resolve(cwd, spec);
  const inPackage = resolve(packageRoot(), spec);
  const abs =
    !existsSync(local) && !spec.startsWith(".") && !isAbsolute(spec) && existsSync(inPackage)
      ? inPackage
      : local;
  if (existsSync(abs) && statSync(abs).isDirectory()) {
    for (const name of ["index.js", "index.mjs"])
      if (isFile(join(abs, name))) return join(abs, name);
    const twin = compiledTwin(join(abs, "index.ts"));
    if (twin) return twin;
    throw new HandlerError(
      "ERR_MODULE",
      `${spec}: a directory with no index.js (or compiled index.ts)`,
    );
  }
  if (TS.has(extname(abs))) {
    const twin = compiledTwin(abs);
    if (twin) return twin;
    if (isFile(abs) && process.execArgv.some((a) => a.includes("tsx"))) return abs;
    throw new HandlerError(
      "ERR_MODULE",
      `${spec}: TypeScript source with no compiled twin in dist/ (run npm run build, or compile it)`,
    );
  }
  if (isFile(abs)) return abs;
  if (extname(abs) === "") {
    if (isFile(abs + ".js")) return abs + ".js";
    const twin = compiledTwin(abs + ".ts");
    if (twin) return twin;
  }
  if (spec.startsWith(".") || spec.startsWith("/"))
    throw new HandlerError("ERR_MODULE", `${spec}: no such file`);
  return spec; // a package name
}

/** The `type` of the package.json nearest to `file` ("commonjs" when there is none). */
function packageType(file: string): string {
  for (let dir = dirname(file); ;) {
    const pkg = join(dir, "package.json");
    if (existsSync(pkg)) {
      try {
        const type = (JSON.parse(readFileSync(pkg, "utf8")) as { type?: unknown }).type;
        return type === "module" ? "module" : "commonjs";
      } catch {
        return "commonjs"; // Node reads an unreadable package.json as no type, too
      }
    }
    const up = dirname(dir);
    if (up === dir) return "commonjs";
    dir = up;
  }
}

/** True for a file Node would load as CommonJS: `.cjs`, or `.js` outside a `"type": "module"` package. */
export function isCommonJsFile(file: string): boolean {
  const ext = extname(file);
  if (ext === ".cjs") return true;
  return ext === ".js" && packageType(file) === "commonjs";
}

/** A `.js` file in a typeless package that turns out to be an ES module. */
function isModuleSyntax(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  if (code === "ERR_REQUIRE_ESM" || code === "ERR_REQUIRE_ASYNC_MODULE") return true;
  return (
    err instanceof SyntaxError &&
    /\b(import|export)\b|outside a module|top-level await/.test(err.message)
  );
}

/** The module's namespace: what import() gives for a CommonJS module, from require(). */
function requireModule(file: string): Record<string, unknown> | undefined {
  let exports: unknown;
  try {
    exports = createRequire(file)(file);
  } catch (err) {
    if (isModuleSyntax(err)) return undefined; // an ES module after all: import() it
    throw err;
  }
  const named =
    exports !== null && typeof exports === "object" ? (exports as Record<string, unknown>) : {};
  return { ...named, default: exports };
}

/** Import the module and pick the app: `--export NAME`, else default, app, fetch, handler. */
export async function loadApp(
  spec: string,
  exportName?: string,
): Promise<{ app: unknown; path: string }> {
  const path = resolveModule(spec);
  let mod: Record<string, unknown>;
  try {
    mod =
      (isAbsolute(path) && isCommonJsFile(path) ? requireModule(path) : undefined) ??
      ((await import(isAbsolute(path) ? pathToFileURL(path).href : path)) as Record<
        string,
        unknown
      >);
  } catch (err) {
    throw new HandlerError(
      "ERR_MODULE",
      `cannot load ${path}: ${err instanceof Error ? err.message : String(err)}`,
    );
  }
  const names = exportName ? [exportName] : ["default", "app", "fetch", "handler"];
  for (const name of names) {
    let value = mod[name];
    // CommonJS modules arrive as { default: module.exports }.
    if (
      name === "default" &&
      value &&
      typeof value === "object" &&
      "default" in value &&
      !("fetch" in value)
    ) {
      value = (value as { default: unknown }).default;
    }
    if (value !== undefined) return { app: value, path };
  }
  throw new HandlerError("ERR_MODULE", `${path} has no export ${names.join(" / ")}`);
}
