/**
 * examples/python-websocket (ferry_wsgi's WebSocket callbacks) through a real frontend, with `ws`
 * clients: subprotocol, echo of text and binary, refusal, broadcast (from a callback and from a
 * WSGI request), close codes both ways, 1011 when the worker is killed, 1001 when it drains.
 */
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket, { type RawData } from "ws";
import { ROOT, stopAll, type Proc } from "../../support/processes.js";
import { tempDir } from "../../support/tmp.js";
import { startFrontend, startPython, waitFor, waitServed, type Frontend } from "./harness.js";

const dir = tempDir();
let frontend: Frontend;
let handler: Proc;
let wsBase: string;

beforeAll(async () => {
  frontend = await startFrontend(dir.path);
  wsBase = frontend.url.replace(/^http/, "ws");
  handler = await startPython(["chat:app", "--websocket", "chat:room"], frontend.endpoints, {
    pythonPath: [join(ROOT, "examples/python-websocket")],
  });
  await waitServed(`${frontend.url}/`);
}, 40_000);

afterAll(async () => {
  await stopAll();
  dir.cleanup();
});

interface Message {
  text: string;
  data: Buffer;
  binary: boolean;
}

/** A `ws` client whose messages and close are recorded as they arrive. */
class Client {
  readonly messages: Message[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;

  constructor(readonly ws: WebSocket) {
    ws.on("message", (raw: RawData, binary: boolean) => {
      const data = Array.isArray(raw) ? Buffer.concat(raw) : Buffer.from(raw as Buffer);
      this.messages.push({ text: data.toString("utf8"), data, binary });
    });
    ws.on("error", () => {});
    this.closed = new Promise((resolve) =>
      ws.on("close", (code, reason) => resolve({ code, reason: reason.toString("utf8") })),
    );
  }

  /** The n-th message (0-based), once it arrived. */
  async message(n: number): Promise<Message> {
    await waitFor(() => this.messages.length > n, 10_000);
    return this.messages[n]!;
  }
}

function connect(path: string, protocols: string[] = []): Promise<Client> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${wsBase}${path}`, protocols);
    const client = new Client(ws);
    ws.once("open", () => resolve(client));
    ws.once("unexpected-response", (_req, res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (d: string) => (body += d));
      res.on("end", () => reject(new Error(`refused ${res.statusCode}: ${body}`)));
    });
    ws.once("error", reject);
  });
}

async function roomSize(): Promise<string> {
  return (await fetch(`${frontend.url}/`)).text();
}

describe("Python WebSockets through Ferry", () => {
  it("accepts with the chosen subprotocol and echoes text as text, binary as binary", async () => {
    const c = await connect("/echo", ["v2", "chat"]);
    expect(c.ws.protocol).toBe("chat");
    c.ws.send("héllo");
    c.ws.send(Buffer.from([0, 255, 1]));
    expect(await c.message(0)).toMatchObject({ text: "héllo", binary: false });
    const bin = await c.message(1);
    expect([bin.binary, [...bin.data]]).toEqual([true, [0, 255, 1]]);
    c.ws.close(1000);
    expect((await c.closed).code).toBe(1000);
  });

  it("refuses with the HTTP response on_open chose", async () => {
    await expect(connect("/nowhere")).rejects.toThrow("refused 404: no such socket");
  });

  it("broadcasts one message to every member, from a callback and from a WSGI request", async () => {
    const members = await Promise.all([connect("/chat"), connect("/chat"), connect("/chat")]);
    expect(await roomSize()).toBe("3 in the chat\n");
    members[1]!.ws.send("hi all");
    for (const m of members) expect((await m.message(0)).text).toBe("hi all");
    const res = await fetch(`${frontend.url}/announce`, { method: "POST", body: "tea" });
    expect(await res.text()).toBe("sent to 3\n");
    for (const m of members)
      expect(await m.message(1)).toMatchObject({ text: "announce: tea", binary: false });
    for (const m of members) m.ws.close(1000);
    await Promise.all(members.map((m) => m.closed));
    await waitFor(async () => (await roomSize()) === "0 in the chat\n");
  });

  it("closes with the handler's code and reason, and tells the handler the client's", async () => {
    const leaving = await connect("/chat");
    leaving.ws.send("/quit");
    expect(await leaving.closed).toEqual({ code: 4000, reason: "bye" });
    const other = await connect("/chat");
    expect(await roomSize()).toBe("1 in the chat\n");
    other.ws.close(4001, "later");
    expect((await other.closed).code).toBe(4001);
    // on_close ran: the room forgot the member.
    await waitFor(async () => (await roomSize()) === "0 in the chat\n");
  });

  it("closes a killed worker's sockets with 1011", async () => {
    const c = await connect("/echo");
    const pid = Number(/ferry-wsgi\[(\d+)\]: ready/.exec(handler.output())![1]);
    process.kill(pid, "SIGKILL");
    expect((await c.closed).code).toBe(1011);
    // The master starts a new worker, which serves new sockets.
    await handler.waitFor(/ready[\s\S]*ready/, 20_000);
    await waitFor(async () => {
      const next = await connect("/echo").catch(() => undefined);
      next?.ws.close();
      return next !== undefined;
    });
  });

  it("closes open sockets with 1001 when the handler drains", async () => {
    const c = await connect("/chat");
    const stopped = handler.stop("SIGTERM");
    expect(await c.closed).toEqual({ code: 1001, reason: "handler stopping" });
    expect(await stopped).toBe(0);
  });
});
