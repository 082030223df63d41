/**
 * wsgiref.validate.validator-wrapped apps through a real frontend, in both worker modes (one
 * thread; several threads): every response as expected and not one violation in the output.
 */
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROOT, stopAll, type Proc } from "../../support/processes.js";
import { tempDir } from "../../support/tmp.js";
import { startFrontend, startPython, waitServed, type Frontend } from "./harness.js";

const dir = tempDir();
afterAll(async () => {
  await stopAll();
  dir.cleanup();
});

async function text(url: string, init: RequestInit = {}): Promise<[number, string]> {
  const res = await fetch(url, init);
  return [res.status, await res.text()];
}

let frontend: Frontend;
const handlers: Record<string, Proc> = {};

// One frontend, two groups: `/` (workers with one thread) and `/t4` (four threads per worker).
const MODES = [
  { name: "1 thread per worker", prefix: "", threads: 1, group: "py" },
  { name: "4 threads per worker", prefix: "/t4", threads: 4, group: "four" },
];

beforeAll(async () => {
  frontend = await startFrontend(dir.path, {}, { "/t4": "four" });
  await Promise.all(
    MODES.map(async (m) => {
      handlers[m.group] = await startPython(
        ["validated:app", "--threads", String(m.threads)],
        frontend.groups[m.group]!,
        {
          pythonPath: [join(ROOT, "test/integration/python/apps")],
        },
      );
    }),
  );
  for (const m of MODES) await waitServed(`${frontend.url}${m.prefix}/hello`);
}, 30_000);

for (const mode of MODES) {
  describe(`validated apps, ${mode.name}`, () => {
    it("answers every route as the app meant", async () => {
      const u = `${frontend.url}${mode.prefix}`;
      const lines = "line one\nline two\nline three";
      expect(await text(`${u}/hello`)).toEqual([200, "hello"]);
      expect(await text(`${u}/echo`, { method: "POST", body: "first line\nand the rest" })).toEqual(
        [200, "first=11 rest=12 first line\nand the rest"],
      );
      expect(await text(`${u}/lines`, { method: "POST", body: lines })).toEqual([200, "3 lines"]);
      expect(await text(`${u}/stream`)).toEqual([200, "part 0\npart 1\npart 2\npart 3\npart 4\n"]);
      expect(await text(`${u}/write`)).toEqual([200, "written returned"]);
      expect(await text(`${u}/file`)).toEqual([200, "file-ish"]);
      expect(await text(`${u}/error-page`)).toEqual([500, "error page"]);
      expect(await text(`${u}/no-content`)).toEqual([204, ""]);
      expect(await text(`${u}/missing`)).toEqual([404, "not found"]);
      const [status, env] = await text(`${u}/environ?q=1`);
      expect(status).toBe(200);
      expect(env).toContain(
        `SCRIPT_NAME=${mode.prefix}\nPATH_INFO=/environ\nQUERY_STRING=q=1\nSERVER_NAME=127.0.0.1`,
      );
      expect(env).toContain("wsgi.url_scheme=http");
      // HEAD and concurrent requests go through the validator too.
      const res = await fetch(`${u}/hello`, { method: "HEAD" });
      expect(res.status).toBe(200);
      expect(res.headers.get("content-length")).toBe("5");
      const many = await Promise.all(Array.from({ length: 40 }, () => text(`${u}/stream`)));
      for (const r of many) expect(r[0]).toBe(200);
    });

    it("leaves no validator violation, traceback or warning in the handler's output", async () => {
      await new Promise((r) => setTimeout(r, 100));
      const out = handlers[mode.group]!.output();
      expect(out).not.toMatch(
        /Traceback|AssertionError|WSGIWarning|Exception ignored|error while answering/,
      );
      expect(out).toMatch(/ready/);
    });
  });
}
