/**
 * CURVE through the real commands: `ferry keygen` makes the keys, `ferry frontend` admits only the
 * handler keys it is given, `ferry handler` connects with its own key and the frontend's public
 * key. A handler whose key is not allowed never gets a request (the frontend answers 503).
 */
import { execFileSync } from "node:child_process";
import { afterAll, describe, expect, it } from "vitest";
import { freePorts } from "../support/ports.js";
import { FERRY_BIN, startFerry, stopAll } from "../support/processes.js";

afterAll(stopAll);

function keygen(): { pub: string; secret: string } {
  const out = execFileSync(process.execPath, [FERRY_BIN, "keygen"], { encoding: "utf8" });
  const pub = /^FERRY_CURVE_PUBLIC_KEY=(.+)$/m.exec(out)?.[1];
  const secret = /^FERRY_CURVE_SECRET_KEY=(.+)$/m.exec(out)?.[1];
  if (!pub || !secret) throw new Error(`unexpected keygen output: ${out}`);
  return { pub, secret };
}

async function getWhileUnavailable(url: string, tries: number): Promise<Response> {
  let res = await fetch(url);
  for (let i = 1; i < tries && res.status === 503; i++) {
    await new Promise((r) => setTimeout(r, 100));
    res = await fetch(url);
  }
  return res;
}

describe("CURVE links between the real frontend and handler commands", () => {
  it("serves through an allowed handler and refuses an unknown one", async () => {
    const frontendKeys = keygen();
    const allowed = keygen();
    const stranger = keygen();
    const [port, rq, rp, ev] = (await freePorts(4)) as [number, number, number, number];
    const ends = {
      FERRY_REQUESTS: `tcp://127.0.0.1:${rq}`,
      FERRY_REPLIES: `tcp://127.0.0.1:${rp}`,
      FERRY_EVENTS: `tcp://127.0.0.1:${ev}`,
    };
    const connect = `${ends.FERRY_REQUESTS},${ends.FERRY_REPLIES},${ends.FERRY_EVENTS}`;
    const frontend = startFerry(["frontend"], {
      env: {
        FERRY_PORT: String(port),
        ...ends,
        FERRY_CURVE_SECRET_KEY: frontendKeys.secret,
        FERRY_CURVE_ALLOW: allowed.pub,
      },
    });
    await frontend.waitFor(/"msg":"listening"/, 30_000);
    const url = `http://127.0.0.1:${port}/?name=curve`;

    // A handler with a key the frontend does not know: the handshake is refused, so no hello
    // arrives and the group has no live handler.
    const intruder = startFerry(["handler", "examples/hello/index.ts", "--connect", connect], {
      env: { FERRY_CURVE_SECRET_KEY: stranger.secret, FERRY_CURVE_SERVER_KEY: frontendKeys.pub },
    });
    await frontend.waitFor(/handler refused/);
    expect((await fetch(url)).status).toBe(503);
    await intruder.stop();

    startFerry(["handler", "examples/hello/index.ts", "--connect", connect], {
      env: { FERRY_CURVE_SECRET_KEY: allowed.secret, FERRY_CURVE_SERVER_KEY: frontendKeys.pub },
    });
    const res = await getWhileUnavailable(url, 100);
    expect(res.status).toBe(200);
    expect(await res.text()).toBe("Hello, curve! (GET /)\n");
  }, 30_000);
});
