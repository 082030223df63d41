/**
 * The Python handler with streamed bodies both ways: an upload past the inline limit reaches
 * `wsgi.input` piece by piece (hash verified), and a download to a client that stops reading
 * is paced by the frontend's credit (the app's iterator is not drained ahead of the client).
 */
import { createHash } from "node:crypto";
import { join } from "node:path";
import { request, type IncomingMessage } from "node:http";
import { afterAll, beforeAll, expect, it } from "vitest";
import { ROOT, stopAll } from "../../support/processes.js";
import { tempDir } from "../../support/tmp.js";
import { startFrontend, startPython, waitFor, waitServed, type Frontend } from "./harness.js";

const MiB = 1024 * 1024;
const dir = tempDir();
let frontend: Frontend;

beforeAll(async () => {
  frontend = await startFrontend(dir.path, { inlineBodyLimit: 64 * 1024 });
  await startPython(["streams:app", "--threads", "4"], frontend.endpoints, {
    pythonPath: [join(ROOT, "test/integration/python/apps")],
  });
  await waitServed(`${frontend.url}/stats`);
}, 30_000);

afterAll(async () => {
  await stopAll();
  dir.cleanup();
});

it("hashes an upload far past the inline limit as it streams into wsgi.input", async () => {
  const total = 16 * MiB + 5;
  const body = Buffer.alloc(total);
  for (let i = 0; i < total; i++) body[i] = (i * 13) & 255;
  const res = await fetch(`${frontend.url}/hash`, { method: "POST", body });
  expect(res.status).toBe(200);
  expect(await res.json()).toEqual({
    bytes: total,
    sha256: createHash("sha256").update(body).digest("hex"),
  });
});

it("paces a download to a client that stops reading", async () => {
  const total = 64 * MiB;
  const res = await new Promise<IncomingMessage>((resolve, reject) => {
    const req = request(`${frontend.url}/download?bytes=${total}`, { agent: false }, resolve);
    req.on("error", reject);
    req.end();
  });
  expect(res.statusCode).toBe(200);
  res.pause();
  const produced = async () =>
    ((await (await fetch(`${frontend.url}/stats`)).json()) as { produced: number }).produced;
  let last = -1;
  await waitFor(async () => {
    const now = await produced();
    const settled = now === last && now > 0;
    last = now;
    return settled;
  });
  expect(last).toBeLessThan(total / 3);
  let got = 0;
  res.on("data", (c: Buffer) => (got += c.length));
  res.resume();
  await new Promise((r) => res.on("end", r));
  expect(got).toBe(total);
}, 60_000);
