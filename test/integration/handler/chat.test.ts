/**
 * The chat example through frontend + handler: 1,000 long-poll clients and a few SSE clients
 * wait; one POST /send reaches all of them (one reply message per frontend); clients that go
 * away are reported to the handler.
 */
import { request, type ClientRequest, type IncomingMessage } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stopAll, type Proc } from "../../support/processes.js";
import { tempDir } from "../../support/tmp.js";
import {
  startFrontend,
  startHandler,
  tcpEndpoints,
  waitFor,
  waitServed,
  type Frontend,
} from "./ferry.js";

const dir = tempDir();
let fe: Frontend;
let handlerProc: Proc;

beforeAll(async () => {
  const ep = await tcpEndpoints();
  // A burst of 1,000 clients on two cores can stall a process for a few hundred ms: use the
  // default heartbeat window here, not the short one of the other tests.
  fe = await startFrontend(dir.path, ep, { heartbeat: { interval: 1000 } });
  handlerProc = await startHandler("examples/chat/index.ts", ep, ["--heartbeat", "1000"], {
    FERRY_LOG_LEVEL: "debug",
  });
  await waitServed(`${fe.url}/stats`);
});

afterAll(async () => {
  await stopAll();
  dir.cleanup();
});

interface Stats {
  polling: number;
  streaming: number;
  disconnects: number;
  sent: number;
}

async function stats(): Promise<Stats> {
  const r = await fetch(`${fe.url}/stats`);
  const text = await r.text();
  const s = JSON.parse(text) as Stats;
  if (typeof s.disconnects !== "number")
    throw new Error(`not stats: ${r.status} ${JSON.stringify([...r.headers])} ${text}`);
  return s;
}

/** A long-poll: resolves with the body of the eventual answer. */
function poll(): { req: ClientRequest; answer: Promise<{ status: number; body: string }> } {
  let req!: ClientRequest;
  const answer = new Promise<{ status: number; body: string }>((resolve, reject) => {
    req = request(`${fe.url}/poll`, { agent: false }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (d: string) => (body += d));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on("error", reject);
    req.end();
  });
  return { req, answer };
}

/** An SSE client: resolves `first` with the first `data:` line after the stream opened. */
function sse(): { req: ClientRequest; opened: Promise<IncomingMessage>; first: Promise<string> } {
  let req!: ClientRequest;
  let onData!: (line: string) => void;
  const first = new Promise<string>((r) => (onData = r));
  const opened = new Promise<IncomingMessage>((resolve, reject) => {
    req = request(`${fe.url}/events`, { agent: false }, (res) => {
      let buf = "";
      res.setEncoding("utf8");
      res.on("data", (d: string) => {
        buf += d;
        const m = /^data: (.*)$/m.exec(buf);
        if (m) onData(m[1]!);
      });
      res.on("error", () => {});
      resolve(res);
    });
    req.on("error", () => {});
    req.on("error", reject);
    req.end();
  });
  return { req, opened, first };
}

describe("chat example", () => {
  it("one broadcast reaches 1,000 long-poll clients and the SSE clients", async () => {
    const polls = Array.from({ length: 1000 }, () => poll());
    const streams = Array.from({ length: 5 }, () => sse());
    const res = await Promise.all(streams.map((s) => s.opened));
    expect(res.map((r) => r.headers["content-type"])).toEqual(Array(5).fill("text/event-stream"));
    let last: Stats | undefined;
    const early = Promise.race(polls.map((p) => p.answer)).then(
      (a) => `a poll was answered early: ${a.status} ${a.body}`,
    );
    await waitFor(async () => {
      last = await stats();
      return last.polling === 1000 && last.streaming === 5;
    }, 20_000).catch(async (err: Error) => {
      throw new Error(
        `${err.message}: ${JSON.stringify(last)}; ${await Promise.race([early, Promise.resolve("no early answer")])}`,
      );
    });

    const sent = await fetch(`${fe.url}/send`, { method: "POST", body: "hello, everyone" });
    expect(await sent.json()).toEqual({ delivered: 1005 });
    const answers = await Promise.all(polls.map((p) => p.answer));
    for (const a of answers) {
      expect(a.status).toBe(200);
      expect(JSON.parse(a.body).text).toBe("hello, everyone");
    }
    for (const s of streams) expect(JSON.parse(await s.first).text).toBe("hello, everyone");

    // SSE clients leave: the handler hears of each.
    const before = (await stats()).disconnects;
    for (const s of streams) s.req.destroy();
    let now: Stats | undefined;
    await waitFor(
      async () => {
        now = await stats();
        return now.streaming === 0 && now.disconnects === before + 5;
      },
      10_000,
      () =>
        `before ${before}, now ${JSON.stringify(now)}\n${handlerProc.output().slice(-3000)}\n${fe.proc
          .output()
          .split("\n")
          .filter((l) => !l.includes("/poll") && !l.includes("/stats"))
          .join("\n")
          .slice(-5000)}`,
    );
  }, 60_000);

  it("reports long-poll clients that disconnect", async () => {
    const before = (await stats()).disconnects;
    const polls = Array.from({ length: 50 }, () => poll());
    for (const p of polls) p.answer.catch(() => {});
    await waitFor(async () => (await stats()).polling === 50);
    for (const p of polls) p.req.destroy();
    await waitFor(async () => {
      const s = await stats();
      return s.polling === 0 && s.disconnects === before + 50;
    });
  });
});
