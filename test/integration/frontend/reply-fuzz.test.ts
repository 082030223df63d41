/**
 * A rogue publisher on the replies socket sends random frames, wrong topics, truncated
 * messages, oversized batches, forged claims and replies (from its own id with guessed ids and
 * tokens, and under the real handler's id with [conn, req, token] mixed across connections),
 * and hellos and goodbyes for the real handler's id with its own secret, while three clients wait
 * for real replies. The frontend keeps serving, the real handler stays live, and each client
 * receives exactly its own reply and nothing else.
 */
import { randomBytes, randomInt } from "node:crypto";
import { connect, type Socket } from "node:net";
import { Publisher } from "zeromq";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  encodeToFrontend,
  type Draft,
  type Target,
  type ToFrontendMsg,
} from "../../../protocol/index.js";
import { freePort } from "../../support/ports.js";
import { stopAll, type Proc } from "../../support/processes.js";
import { tempDir } from "../../support/tmp.js";
import {
  endpointsFor,
  get,
  startFrontend,
  startHandler,
  TRANSPORTS,
  waitForCount,
  waitLive,
  type FrontendUnderTest,
} from "./harness.js";
import { splitResponses } from "./raw.js";

const HID = "real-handler";

function openClient(port: number, id: number): { socket: Socket; received: () => string } {
  const socket = connect(port, "127.0.0.1");
  let data = "";
  socket.on("data", (c: Buffer) => (data += c.toString("latin1")));
  socket.on("error", () => {});
  socket.write(`GET /delay/1500?client=${id} HTTP/1.1\r\nHost: x\r\n\r\n`);
  return { socket, received: () => data };
}

for (const transport of TRANSPORTS) {
  describe(`reply fuzz over ${transport}`, () => {
    const dir = tempDir();
    let fe: FrontendUnderTest;
    let handler: Proc;
    let control: string;
    const rogue = new Publisher({ linger: 0 });

    beforeAll(async () => {
      const endpoints = await endpointsFor(transport, dir.path);
      const controlPort = await freePort();
      control = `http://127.0.0.1:${controlPort}`;
      fe = await startFrontend(
        dir.path,
        endpoints,
        { timeout: 5000 },
        { control: { port: controlPort } },
      );
      handler = startHandler(endpoints, { hid: HID, log: true });
      await waitLive(fe.url);
      rogue.connect(endpoints.replies);
    });

    afterAll(async () => {
      rogue.close();
      await stopAll();
      dir.cleanup();
    });

    it("keeps serving, and no byte reaches a client it was not addressed to", async () => {
      // The rogue is subscribed-to once the frontend counts it as a second live handler.
      const deadline = Date.now() + 10_000;
      for (;;) {
        await rogue.send([
          "*",
          encodeToFrontend({
            kind: "hello",
            hid: "rogue",
            secret: randomBytes(32),
            capacity: 1,
            inflight: 0,
            interval: 60_000,
          }),
        ]);
        const health = JSON.parse((await get(`${control}/health`)).body) as {
          groups: Array<{ live: number }>;
        };
        if (health.groups[0]!.live >= 2) break;
        if (Date.now() > deadline) throw new Error("rogue never seen");
        await new Promise((r) => setTimeout(r, 20));
      }
      const fid = /"fid":"([^"]+)"/.exec(fe.proc.output())![1]!;

      const clients = [0, 1, 2].map((i) => openClient(fe.port, i));
      await waitForCount(handler, /request GET \/delay\/1500\?client=\d conn=\d+ req=\d+/g, 3);
      const pairs = [
        ...handler.output().matchAll(/client=(\d) conn=(\d+) req=(\d+) token=(\d+)/g),
      ].map((m) => ({
        client: Number(m[1]),
        conn: Number(m[2]),
        req: Number(m[3]),
        token: Number(m[4]),
      }));
      // Ids and tokens mixed across clients: the address check must refuse these, even from the
      // claimer. The rogue knows every [conn, req] here, but no token.
      const mixed: Target[] = [];
      for (const a of pairs)
        for (const b of pairs) {
          if (a === b) continue;
          mixed.push([a.conn, b.req, a.token], [a.conn, b.req, b.token], [a.conn, a.req, b.token]);
        }
      const ids = Array.from({ length: 40 }, (_, i) => i + 1);
      const guess = () => randomInt(2 ** 48 - 1);
      const forged = ids.flatMap((c) => ids.map((r): Target => [c, r, guess()]));
      const real = pairs.map((p): Target => [p.conn, p.req, guess()]);

      const replies = (hid: string, to: Target[]): Array<Draft<ToFrontendMsg>> => [
        { kind: "claim", hid, conn: to[0]![0], req: to[0]![1], token: to[0]![2] },
        {
          kind: "head",
          hid,
          to,
          status: 200,
          headers: [["x-forged", "1"]],
          body: Buffer.from("FORGED"),
          end: true,
        },
        { kind: "head", hid, to, status: 200, headers: [] },
        { kind: "data", hid, to, data: Buffer.from("FORGED-DATA") },
        { kind: "end", hid, to },
        { kind: "error", hid, to, code: "BAD_GATEWAY", message: "FORGED" },
        { kind: "close", hid, to },
      ];
      const messages: Buffer[][] = [];
      // The real handler's hid with another secret: neither forgets, drains nor re-times it.
      const secret = randomBytes(32);
      for (const kind of ["hello", "heartbeat"] as const)
        messages.push([
          Buffer.from("*"),
          encodeToFrontend({ kind, hid: HID, secret, capacity: 1, inflight: 0, interval: 100 }),
        ]);
      messages.push([Buffer.from("*"), encodeToFrontend({ kind: "goodbye", hid: HID, secret })]);
      for (const msg of [...replies("rogue", forged), ...replies("rogue", real)])
        messages.push([Buffer.from(fid), encodeToFrontend(msg)]);
      // One batch of every forged reply at once, and one of more payloads than a message may hold.
      messages.push([Buffer.from(fid), ...replies(HID, real).map((m) => encodeToFrontend(m))]);
      messages.push([
        Buffer.from(fid),
        ...Array<Buffer>(1025).fill(encodeToFrontend(replies("rogue", real)[1]!)),
      ]);
      for (const target of mixed)
        for (const msg of replies(HID, [target]))
          messages.push([Buffer.from(fid), encodeToFrontend(msg)]);
      for (let i = 0; i < 300; i++) {
        const valid = encodeToFrontend(replies("rogue", forged.slice(i, i + 3))[randomInt(7)]!);
        switch (i % 6) {
          case 0:
            messages.push([Buffer.from(fid), randomBytes(randomInt(1, 64))]);
            break;
          case 1:
            messages.push([Buffer.from(fid), valid.subarray(0, randomInt(1, valid.length))]);
            break;
          case 2:
            messages.push([Buffer.from(`${fid}x`), valid]);
            break;
          case 3:
            messages.push([Buffer.from(fid)]);
            break;
          case 4:
            messages.push([Buffer.from(fid), valid, randomBytes(8)]);
            break;
          case 5:
            messages.push([randomBytes(randomInt(1, 16)), valid]);
            break;
        }
      }
      for (const m of messages) await rogue.send(m);

      // Each client gets its own reply (the real handler's, ~1.5 s after the request) and nothing else.
      const until = Date.now() + 8000;
      while (clients.some((c) => splitResponses(c.received()).length < 1) && Date.now() < until) {
        await new Promise((r) => setTimeout(r, 20));
      }
      await new Promise((r) => setTimeout(r, 200)); // any stray byte would have arrived by now
      for (const { client, conn, req } of pairs) {
        const data = clients[client]!.received();
        expect(data).not.toContain("FORGED");
        const responses = splitResponses(data);
        expect(responses).toHaveLength(1);
        expect(responses[0]!.status).toBe(200);
        expect(JSON.parse(responses[0]!.body)).toMatchObject({ conn, req, hid: HID });
        expect(data.length).toBe(data.indexOf("\r\n\r\n") + 4 + responses[0]!.body.length);
      }
      for (const c of clients) c.socket.destroy();
      expect((await get(`${fe.url}/echo/after-fuzz`)).status).toBe(200);
      const metrics = (await get(`${control}/metrics`)).body;
      expect(Number(/ferry_malformed_messages_total (\d+)/.exec(metrics)?.[1])).toBeGreaterThan(0);
      expect(Number(/ferry_replies_dropped_total (\d+)/.exec(metrics)?.[1])).toBeGreaterThan(0);
      expect(Number(/ferry_bad_tokens_total (\d+)/.exec(metrics)?.[1])).toBeGreaterThan(0);
      expect(Number(/ferry_handler_spoofed_total (\d+)/.exec(metrics)?.[1])).toBe(3);
      // The real handler was never drained or lost: it still takes new work.
      const health = JSON.parse((await get(`${control}/health`)).body) as {
        groups: Array<{ live: number }>;
      };
      expect(health.groups[0]!.live).toBe(2);
    });
  });
}
