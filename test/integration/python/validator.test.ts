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

for (const threads of [1, 4]) {
  describe(`validated apps, ${threads} thread(s) per worker`, () => {
    let frontend: Frontend;
    let handler: Proc;

    beforeAll(async () => {
      frontend = await startFrontend(dir.path);
      handler = await startPython(
        ["validated:app", "--threads", String(threads)],
        frontend.endpoints,
        {
          pythonPath: [join(ROOT, "test/integration/python/apps")],
        },
      );
      await waitServed(`${frontend.url}/hello`);
    }, 30_000);

    it("answers every route as the app meant", async () => {
      const u = frontend.url;
      const lines = "line one\nline two\nline three";
      expect(await text(`${u}/hello`)).toEqual([200, "hello"]);
      expect(await text(`${u}/app/hello`)).toEqual([200, "hello"]);
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
      const [status, env] = await text(`${u}/app/environ?q=1`);
      expect(status).toBe(200);
      expect(env).toContain(
        "SCRIPT_NAME=/app\nPATH_INFO=/environ\nQUERY_STRING=q=1\nSERVER_NAME=127.0.0.1",
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
      const out = handler.output();
      expect(out).not.toMatch(
        /Traceback|AssertionError|WSGIWarning|Exception ignored|error while answering/,
      );
      expect(out).toMatch(/ready/);
    });
  });
}
