/**
 * Ferry's Mongrel2 codec against a real Mongrel2 1.12: every request it sends decodes (including
 * the raw control characters it leaves in JSON), and every reply Ferry encodes is obeyed: raw
 * bytes, several ids, an empty body that closes, `ctl` keep-alive and cancel.
 */
import { connect, type Socket } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Publisher, Pull } from "zeromq";
import {
  M2ReplyWriter,
  decodeM2Request,
  encodeM2Ctl,
  encodeM2Reply,
  m2EventOf,
  m2Header,
  type DecodedM2Request,
} from "../../protocol/mongrel2/index.js";
import { startMongrel2, type Mongrel2Server } from "../support/mongrel2.js";
import { freePorts } from "../support/ports.js";
import { stopAll } from "../support/processes.js";

const UUID = "54c6755b-9628-40a4-9a2d-cc82a816345e";

class Client {
  data = "";
  readonly closed: Promise<void>;
  constructor(readonly socket: Socket) {
    socket.on("data", (c: Buffer) => (this.data += c.toString("latin1")));
    socket.on("error", () => {});
    this.closed = new Promise((r) => socket.once("close", () => r()));
  }
}

for (const protocol of ["json", "tnetstring"] as const) {
  describe(`Ferry's Mongrel2 codec vs Mongrel2 1.12 (${protocol})`, () => {
    let m2: Mongrel2Server;
    let pull: Pull;
    let pub: Publisher;

    const client = (text: string) => {
      const c = new Client(connect(m2.port, "127.0.0.1"));
      c.socket.write(text);
      return c;
    };
    const receive = async (): Promise<DecodedM2Request> => {
      const [frame] = await pull.receive();
      return decodeM2Request(frame as Buffer);
    };
    /** Send a request and take it from Mongrel2 (skipping `@*` notices of earlier connections). */
    const request = async (text: string): Promise<[Client, DecodedM2Request]> => {
      const c = client(text);
      for (;;) {
        const req = await receive();
        if (req.path !== "@*") return [c, req];
      }
    };

    beforeAll(async () => {
      const [sendPort, recvPort] = await freePorts(2);
      m2 = await startMongrel2({
        routes: {
          "/": {
            sendSpec: `tcp://127.0.0.1:${sendPort}`,
            recvSpec: `tcp://127.0.0.1:${recvPort}`,
            sendIdent: UUID,
            protocol,
          },
        },
      });
      pull = new Pull({ receiveTimeout: 10_000 });
      pull.connect(`tcp://127.0.0.1:${sendPort}`);
      pub = new Publisher();
      pub.connect(`tcp://127.0.0.1:${recvPort}`);
    });

    afterAll(async () => {
      pull?.close();
      pub?.close();
      await m2?.stop();
      await stopAll();
    });

    it("decodes a request with raw control characters and repeated headers, and answers it", async () => {
      const [c, req] = await request(
        "GET /a/b?x=1 HTTP/1.1\r\nHost: h\r\nX-T: a\tb\x01c\r\nCookie: a=1\r\nCookie: b=2\r\nX-Forwarded-For: 6.6.6.6\r\n\r\n",
      );
      expect(req.format).toBe(protocol);
      expect(req.uuid).toBe(UUID);
      expect(m2Header(req.headers, "x-t")).toBe("a\tb\u0001c");
      expect(req.headers.find(([n]) => n === "cookie")?.[1]).toEqual(["a=1", "b=2"]);
      expect(m2Header(req.headers, "x-forwarded-for")).toBe("127.0.0.1");
      const ev = m2EventOf(req, { req: 1 });
      expect(ev).toMatchObject({
        type: "request",
        request: { method: "GET", path: "/a/b", query: "x=1", route: "/" },
      });
      // PUB/SUB slow joiner: resend until the client sees the answer.
      const reply = encodeM2Reply({
        uuid: UUID,
        ids: [req.id],
        body: "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
      });
      for (let i = 0; i < 100 && c.data === ""; i++) {
        await pub.send(reply);
        await new Promise((r) => setTimeout(r, 50));
      }
      expect(c.data).toBe("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
      c.socket.destroy();
      const notice = await receive();
      expect(m2EventOf(notice, { req: 0 })).toMatchObject({
        type: "disconnect",
        message: { conn: req.id },
      });
    });

    it("keeps at most 5 values of a repeated header (MAX_DUPE_HEADERS)", async () => {
      const dups = Array.from({ length: 7 }, (_, i) => `X-D: ${i}\r\n`).join("");
      const [c, req] = await request(`GET /d HTTP/1.0\r\nHost: h\r\n${dups}\r\n`);
      expect(req.headers.find(([n]) => n === "x-d")?.[1]).toEqual(["0", "1", "2", "3", "4"]);
      expect(m2Header(req.headers, "VERSION")).toBe("HTTP/1.0");
      await pub.send(encodeM2Reply({ uuid: UUID, ids: [req.id], body: "" }));
      await c.closed;
    });

    it("M2ReplyWriter's one-message and streamed (chunked) replies reach HTTP clients intact", async () => {
      const writer = new M2ReplyWriter(UUID);
      const answer = async (
        req: DecodedM2Request,
        msgs: Parameters<M2ReplyWriter["encode"]>[0][],
      ) => {
        const ev = m2EventOf(req, { req: 1 });
        if (ev.type !== "request") throw new Error(`not a request: ${ev.type}`);
        writer.begin(req.id, ev.request);
        for (const msg of msgs) for (const frame of writer.encode(msg)) await pub.send(frame);
      };
      const [c, one] = await request("GET /one HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n");
      const to1: [number, number, number][] = [[one.id, 1, 0]];
      await answer(one, [
        {
          v: 1,
          kind: "head",
          hid: "h",
          to: to1,
          status: 201,
          headers: [],
          body: Buffer.from("one"),
          end: true,
        },
      ]);
      // Mongrel2 does not read responses, so it keeps the connection despite Connection: close.
      const expected = "HTTP/1.1 201 Created\r\ncontent-length: 3\r\n\r\none";
      for (let i = 0; i < 200 && c.data.length < expected.length; i++)
        await new Promise((r) => setTimeout(r, 10));
      expect(c.data).toBe(expected);
      c.socket.destroy();

      const streamed = fetch(`${m2.url}/s`);
      let req = await receive();
      while (req.path === "@*") req = await receive();
      const to: [number, number, number][] = [[req.id, 2, 0]];
      await answer(req, [
        {
          v: 1,
          kind: "head",
          hid: "h",
          to,
          status: 200,
          headers: [["content-type", "text/plain"]],
        },
        { v: 1, kind: "data", hid: "h", to, data: Buffer.from("hello ") },
        { v: 1, kind: "data", hid: "h", to, data: Buffer.from("world"), end: true },
      ]);
      const res = await streamed;
      expect(res.headers.get("transfer-encoding")).toBe("chunked");
      expect(await res.text()).toBe("hello world");
    });

    it("one reply to two connections, then an empty body closes both", async () => {
      const [a, ra] = await request("POST /p HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nabc");
      const [b, rb] = await request("GET /q HTTP/1.1\r\nHost: h\r\n\r\n");
      expect(Buffer.from(ra.body).toString()).toBe("abc");
      await pub.send(
        encodeM2Reply({
          uuid: UUID,
          ids: [ra.id, rb.id],
          body: "HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nboth",
        }),
      );
      await pub.send(encodeM2Reply({ uuid: UUID, ids: [ra.id, rb.id], body: "" }));
      await Promise.all([a.closed, b.closed]);
      expect([a.data, b.data]).toEqual(
        Array(2).fill("HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nboth"),
      );
    });

    it("ctl keep-alive is accepted, ctl cancel closes", async () => {
      const [c, req] = await request("GET /k HTTP/1.1\r\nHost: h\r\n\r\n");
      await pub.send(encodeM2Ctl(UUID, [req.id], { keepAlive: true }));
      await pub.send(
        encodeM2Reply({ uuid: UUID, ids: [req.id], body: "HTTP/1.1 204 No Content\r\n\r\n" }),
      );
      // cancel closes at once: bytes still queued for the client would be lost, so wait for them.
      for (let i = 0; i < 200 && c.data === ""; i++) await new Promise((r) => setTimeout(r, 10));
      await pub.send(encodeM2Ctl(UUID, [req.id], { cancel: true }));
      await c.closed;
      expect(c.data).toBe("HTTP/1.1 204 No Content\r\n\r\n");
    });
  });
}
