/**
 * A corpus of directory-escape attempts sent byte for byte over a raw socket (fetch would
 * normalise them away), plus a property test: no request target ever resolves outside the root.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { realpathSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import {
  StaticRouteConfigSchema,
  serveStatic,
  mapRequestPath,
} from "../../../frontend/static/index.js";
import { isContained, resolveInRoot } from "../../../frontend/static/resolve-file.js";
import { tempDir } from "../../support/tmp.js";
import { rawGet, serveHandler, type TestServer } from "./support.js";

const SECRET = "TOP-SECRET-CONTENT";
const tmp = tempDir("ferry-traversal-");
const root = join(tmp.path, "root");
let server: TestServer;

/** Every entry names the secret file (or a directory above the root) in some disguise. */
const TRAVERSAL_CORPUS = [
  "/../secret.txt",
  "/../../../../../../etc/passwd",
  "/sub/../../secret.txt",
  "/./../secret.txt",
  "//../secret.txt",
  "/%2e%2e/secret.txt",
  "/%2E%2E/secret.txt",
  "/.%2e/secret.txt",
  "/%2e./secret.txt",
  "/sub/%2e%2e/%2e%2e/secret.txt",
  "/..%2fsecret.txt",
  "/..%2Fsecret.txt",
  "/%2e%2e%2fsecret.txt",
  "/sub%2f..%2f..%2fsecret.txt",
  "/%252e%252e/secret.txt",
  "/%252e%252e%252fsecret.txt",
  "/%25252e%25252e/secret.txt",
  "/..\\secret.txt",
  "/sub\\..\\..\\secret.txt",
  "/%5c..%5csecret.txt",
  "/..%5csecret.txt",
  "/%2e%2e%5c%2e%2e%5csecret.txt",
  "/%255c..%255csecret.txt",
  "/hello.txt%00.html",
  "/%00../secret.txt",
  "/..%00/secret.txt",
  "/%c0%ae%c0%ae/secret.txt",
  "/%c0%af../secret.txt",
  "/%e0%80%ae%e0%80%ae/secret.txt",
  "/%uff0e%uff0e/secret.txt",
  "/..;/secret.txt",
  "/.../secret.txt",
  "/%2fetc%2fpasswd",
  "/link-out",
  "/link-out-abs",
  "/dir-out/secret.txt",
  "/dir-out/",
  "/sub/link-up/secret.txt",
  "/../root-sibling/file.txt",
  "/..%2froot-sibling%2ffile.txt",
];

beforeAll(async () => {
  mkdirSync(join(root, "sub"), { recursive: true });
  mkdirSync(join(tmp.path, "root-sibling"));
  writeFileSync(join(tmp.path, "secret.txt"), SECRET);
  writeFileSync(join(tmp.path, "root-sibling", "file.txt"), SECRET);
  writeFileSync(join(root, "hello.txt"), "hello");
  symlinkSync("../secret.txt", join(root, "link-out"));
  symlinkSync(join(tmp.path, "secret.txt"), join(root, "link-out-abs"));
  symlinkSync(tmp.path, join(root, "dir-out"));
  symlinkSync("../..", join(root, "sub", "link-up"));
  symlinkSync("hello.txt", join(root, "link-in"));
  const route = StaticRouteConfigSchema.parse({ dir: root });
  server = await serveHandler((req, res) => serveStatic(req, res, route));
});

afterAll(async () => {
  await server.close();
  tmp.cleanup();
});

describe("static: directory escape", () => {
  it.each(TRAVERSAL_CORPUS)("never serves %s", async (target) => {
    const r = await rawGet(server.port, target);
    expect([400, 404]).toContain(r.status);
    expect(r.body.toString("latin1")).not.toContain(SECRET);
    expect(r.body.toString("latin1")).not.toContain("root:");
  });

  it("still serves files and in-root symlinks", async () => {
    expect((await rawGet(server.port, "/hello.txt")).body.toString()).toBe("hello");
    expect((await rawGet(server.port, "/link-in")).body.toString()).toBe("hello");
    expect((await rawGet(server.port, "/%68ello.txt")).body.toString()).toBe("hello");
    expect((await rawGet(server.port, "/sub/../hello.txt")).status).toBe(400);
  });

  it("no target built from dangerous pieces resolves outside the root", async () => {
    const realRoot = realpathSync(root);
    const piece = fc.constantFrom(
      "/",
      "..",
      ".",
      "%2e",
      "%2E",
      "%2f",
      "%5c",
      "\\",
      "%00",
      "%25",
      "2e",
      "sub",
      "link-out",
      "dir-out",
      "link-up",
      "secret.txt",
      "hello.txt",
      "%c0%ae",
      ";",
      "%",
    );
    await fc.assert(
      fc.asyncProperty(fc.array(piece, { maxLength: 12 }), async (pieces) => {
        const mapped = mapRequestPath(`/${pieces.join("")}`);
        if (!mapped.ok) return;
        const entry = await resolveInRoot(realRoot, mapped.segments);
        if (entry !== null) expect(isContained(realRoot, entry.path)).toBe(true);
      }),
      { numRuns: 500 },
    );
  });
});
