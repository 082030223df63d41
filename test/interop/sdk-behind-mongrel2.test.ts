/**
 * The SDK's mongrel2 mode: `ferry handler MODULE --protocol mongrel2` serves the Express and the
 * Fetch examples, unchanged, behind a real Mongrel2 1.12 and behind Ferry's mongrel2 groups (the
 * frontend swapped, same handler), JSON and tnetstring headers each. The SDK's request table
 * must answer as node:http answers it directly (status, headers but Date/Connection/Keep-Alive,
 * body).
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createAdaptorServer } from "@hono/node-server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import expressApp from "../../examples/express/app.js";
import helloApp from "../../examples/hello/index.js";
import { CASES, run, type Case, type Outcome } from "../integration/handler/request-table.js";
import { startFerryM2 } from "../support/ferry-m2.js";
import { startMongrel2 } from "../support/mongrel2.js";
import { freePorts } from "../support/ports.js";
import { startFerry, stopAll } from "../support/processes.js";
import { tempDir } from "../support/tmp.js";

/**
 * Cases Mongrel2 itself cannot pass, with the reason (they still run behind Ferry). None of the
 * table's cases so far: what Mongrel2 lacks (503 with no handler, 504) is not in this table.
 */
const MONGREL2_CANNOT: Record<string, string> = {};

const dir = tempDir("ferry-sdk-m2-");
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

/** Until a request is answered by the handler (Mongrel2 hangs with no handler: time out each try). */
async function waitServed(url: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await fetch(url, { signal: AbortSignal.timeout(300) }).then(
      (r) => r.status !== 503,
      () => false,
    );
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`not served: ${url}`);
    await new Promise((r) => setTimeout(r, 25)); // bounded polling: ZeroMQ connects asynchronously
  }
}

async function startHandler(module: string, sendSpec: string, recvSpec: string): Promise<void> {
  const proc = startFerry([
    "handler",
    module,
    "--protocol",
    "mongrel2",
    "--send-spec",
    sendSpec,
    "--recv-spec",
    recvSpec,
  ]);
  await proc.waitFor(/handler ready/);
}

type Front = "mongrel2-json" | "mongrel2-tnetstring" | "ferry-json" | "ferry-tnetstring";

/** A frontend of the given kind with a fresh handler process (fresh app state) behind it. */
async function frontWithHandler(front: Front, module: string): Promise<string> {
  if (front === "ferry-json" || front === "ferry-tnetstring") {
    const headers = front === "ferry-json" ? "json" : "tnetstring";
    const fe = await startFerryM2(dir.path, { main: { names: ["*"], headers } });
    const g = fe.groups.main!;
    await startHandler(module, g.sendSpec, g.recvSpec);
    return fe.url;
  }
  const [a, b] = await freePorts(2);
  const sendSpec = `tcp://127.0.0.1:${a}`;
  const recvSpec = `tcp://127.0.0.1:${b}`;
  const protocol = front === "mongrel2-json" ? "json" : "tnetstring";
  const m2 = await startMongrel2({
    routes: {
      "/": { sendSpec, recvSpec, sendIdent: "2d3b8a3e-5c9e-4a61-9d0b-7f1e4c2a9b10", protocol },
    },
  });
  await startHandler(module, sendSpec, recvSpec);
  return m2.url;
}

const apps = [
  {
    name: "Express",
    module: "examples/express/app.ts",
    direct: () => createServer(expressApp),
    probe: "/notes/1",
  },
  {
    name: "Fetch (hello)",
    module: "examples/hello/index.ts",
    direct: () => createAdaptorServer({ fetch: helloApp.fetch }) as Server,
    probe: "/",
  },
];
const FRONTS: Front[] = ["mongrel2-json", "mongrel2-tnetstring", "ferry-json", "ferry-tnetstring"];
const behindFerry = (front: Front) => front.startsWith("ferry");

for (const app of apps) {
  describe(`${app.name} app, --protocol mongrel2: node:http vs Mongrel2 1.12 vs Ferry`, () => {
    const outcomes = new Map<string, Map<string, Outcome>>();
    let server: Server;
    const casesFor = (front: Front): Case[] =>
      behindFerry(front) ? CASES : CASES.filter((c) => !Object.hasOwn(MONGREL2_CANNOT, c.name));

    beforeAll(async () => {
      server = app.direct();
      const urls = await Promise.all([
        listen(server),
        ...FRONTS.map((f) => frontWithHandler(f, app.module)),
      ]);
      await Promise.all(urls.slice(1).map((u) => waitServed(`${u}${app.probe}`)));
      // Each run in table order: the app keeps state (POST creates a note).
      const names = ["direct", ...FRONTS];
      await Promise.all(
        names.map(async (name, i) => {
          const results = new Map<string, Outcome>();
          for (const c of name === "direct" ? CASES : casesFor(name as Front))
            results.set(c.name, await run(urls[i]!, c));
          outcomes.set(name, results);
        }),
      );
    }, 30_000);

    afterAll(() => new Promise<void>((r) => server.close(() => r())));

    for (const front of FRONTS) {
      for (const c of CASES) {
        const reason = behindFerry(front) ? undefined : MONGREL2_CANNOT[c.name];
        const title = `${front}: ${c.method ?? "GET"} ${c.path} (${c.name})`;
        if (reason !== undefined) {
          // Listed, not run: the table is filtered for this frontend.
          it(`${title}: not run behind Mongrel2: ${reason}`, () => {
            expect(outcomes.get(front)!.has(c.name)).toBe(false);
          });
          continue;
        }
        it(title, () => {
          const a = outcomes.get("direct")!.get(c.name)!;
          const b = outcomes.get(front)!.get(c.name)!;
          expect(b.status).toBe(a.status);
          expect(b.headers).toEqual(a.headers);
          expect(b.body.equals(a.body)).toBe(true);
        });
      }
    }
  });
}
