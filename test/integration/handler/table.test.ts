/**
 * Done-when of the SDK: unmodified Express and Hono apps answer a table of requests the same
 * (status, headers except Date/Connection/Keep-Alive, body) served directly by node:http and
 * through frontend + handler.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createAdaptorServer } from "@hono/node-server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import expressApp from "../../../examples/express/app.js";
import honoApp from "../../../examples/hono/app.js";
import { stopAll } from "../../support/processes.js";
import { tempDir } from "../../support/tmp.js";
import { startFrontend, startHandler, tcpEndpoints, waitServed } from "./ferry.js";
import { CASES, run, type Outcome } from "./request-table.js";

const dir = tempDir();
afterAll(async () => {
  await stopAll();
  dir.cleanup();
});

function listen(server: Server): Promise<string> {
  return new Promise((resolve) =>
    server.listen(0, "127.0.0.1", () =>
      resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`),
    ),
  );
}

const apps = [
  { name: "Express", module: "examples/express/app.ts", direct: () => createServer(expressApp) },
  {
    name: "Hono",
    module: "examples/hono/app.ts",
    direct: () => createAdaptorServer({ fetch: honoApp.fetch }) as Server,
  },
];

for (const app of apps) {
  describe(`${app.name} app: node:http vs Ferry`, () => {
    const direct = new Map<string, Outcome>();
    const viaFerry = new Map<string, Outcome>();
    let server: Server;

    beforeAll(async () => {
      server = app.direct();
      const directUrl = await listen(server);
      const ep = await tcpEndpoints();
      const fe = await startFrontend(dir.path, ep);
      await startHandler(app.module, ep);
      await waitServed(`${fe.url}/notes/1`);
      // Same order on both sides: the app keeps state (POST creates a note).
      for (const c of CASES) direct.set(c.name, await run(directUrl, c));
      for (const c of CASES) viaFerry.set(c.name, await run(fe.url, c));
    }, 60_000);

    afterAll(() => new Promise<void>((r) => server.close(() => r())));

    for (const c of CASES) {
      it(`${c.method ?? "GET"} ${c.path} (${c.name})`, () => {
        const a = direct.get(c.name)!;
        const b = viaFerry.get(c.name)!;
        expect(b.status).toBe(a.status);
        expect(b.headers).toEqual(a.headers);
        expect(b.body.equals(a.body)).toBe(true);
      });
    }
  });
}
