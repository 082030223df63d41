/** WebSockets over a TLS listener (wss://), with a certificate generated for the test. */
import { readFileSync } from "node:fs";
import { afterAll, expect, it } from "vitest";
import { stopAll } from "../../support/processes.js";
import { tempDir } from "../../support/tmp.js";
import { makeCertificate } from "../../unit/tls/certificates.js";
import { endpointsFor } from "../frontend/harness.js";
import { connect, startRawHandler, startWsFrontend, waitFor } from "./harness.js";

const dir = tempDir();

afterAll(async () => {
  await stopAll();
  dir.cleanup();
});

it("accepts and echoes over wss://, and the handler sees scheme https", async () => {
  const cert = makeCertificate(dir.path, "localhost");
  const ep = await endpointsFor("ipc", dir.path);
  const fe = await startWsFrontend(dir.path, ep, {}, { tls: cert });
  const handler = startRawHandler(ep);
  const tls = { ca: readFileSync(cert.cert), servername: "localhost" };
  await waitFor(async () => {
    const c = await connect(`${fe.ws}/ws/echo`, [], tls).catch(() => undefined);
    c?.ws.terminate();
    return c !== undefined;
  });
  const c = await connect(`${fe.ws}/ws/echo`, [], tls);
  c.ws.send("secure");
  expect(await c.text(0)).toBe("secure");
  expect(handler.output()).toMatch(/^open \d+ \d+ https$/m);
  c.ws.close(4003, "tls done");
  await c.closed;
  await waitFor(() => /event disconnect .*"code":4003/.test(handler.output()));
}, 30_000);
