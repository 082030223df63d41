/**
 * A minimal WebSocket handler speaking protocol v1 with zeromq and protocol/ only (no SDK), so
 * the frontend's WebSockets are tested on their own. By path:
 *
 *   /ws/echo[?proto=NAME]  accept (101, picking subprotocol NAME if given, plus a set-cookie);
 *                          echo every message with its binary flag. Text commands:
 *                            "close:CODE:REASON"  a `close` reply      "error"  an `error` reply
 *                            "head"               a `head` (a bad reply on an open socket), then "still-open"
 *                            "all:TEXT"           ONE `ws` reply to every open socket
 *                            "flood:N:BYTES"      N binary messages of BYTES bytes
 *   /ws/refuse             403 with body "refused"
 *   anything else          200 "plain"
 *
 * Prints `open CONN REQ SCHEME`, and `event KIND JSON` for every event (ws, disconnect, cancel).
 * Usage: tsx test/support/ws-test-handler.ts --requests EP --replies EP --events EP [--interval MS]
 */
import { Publisher, Pull, Subscriber } from "zeromq";
import { randomBytes } from "node:crypto";
import {
  decodeToHandler,
  type RequestMsg,
  type Target,
  type WsEventMsg,
} from "../../protocol/index.js";
import { serialPublisher } from "./serial-publisher.js";

function arg(name: string, fallback?: string): string {
  const i = process.argv.indexOf(`--${name}`);
  const v = i === -1 ? fallback : process.argv[i + 1];
  if (v === undefined) throw new Error(`--${name} is required`);
  return v;
}

const hid = arg("hid", `ws-test-${randomBytes(4).toString("hex")}`);
const secret = randomBytes(32);
const interval = Number(arg("interval", "200"));
const pull = new Pull({ linger: 0 });
const pub = new Publisher({ linger: 200, sendHighWaterMark: 0 });
const sub = new Subscriber({ linger: 0 });
pull.connect(arg("requests"));
pub.connect(arg("replies"));
sub.connect(arg("events"));
sub.subscribe(hid);
sub.subscribe("*");

const { send } = serialPublisher(pub);
const hello = (kind: "hello" | "heartbeat") =>
  send("*", {
    kind,
    hid,
    secret,
    capacity: 64,
    inflight: 0,
    interval,
    agent: "ferry-ws-test-handler",
  });
hello("hello");
setInterval(() => hello("heartbeat"), interval);

/** Open sockets by "fid/req". */
const open = new Map<string, { fid: string; target: Target }>();

function handle(r: RequestMsg): void {
  const to: Target[] = [[r.conn, r.req, r.token]];
  const url = new URL(r.target, "http://x");
  if (url.pathname === "/ws/echo" && r.upgrade === "websocket") {
    const headers: Array<[string, string]> = [["set-cookie", "ws=1"]];
    const proto = url.searchParams.get("proto");
    if (proto) headers.push(["sec-websocket-protocol", proto]);
    send(r.fid, { kind: "head", hid, to, status: 101, headers, end: true });
    open.set(`${r.fid}/${r.req}`, { fid: r.fid, target: [r.conn, r.req, r.token] });
    process.stdout.write(`open ${r.conn} ${r.req} ${r.scheme}\n`);
    return;
  }
  const refused = url.pathname === "/ws/refuse";
  send(r.fid, {
    kind: "head",
    hid,
    to,
    status: refused ? 403 : 200,
    headers: [["content-type", "text/plain"]],
    body: Buffer.from(refused ? "refused" : "plain"),
    end: true,
  });
}

function onMessage(m: WsEventMsg): void {
  // Events carry no token: the upgrade request's is kept with the open socket.
  const socket = open.get(`${m.fid}/${m.req}`);
  if (socket === undefined) return;
  const to: Target[] = [socket.target];
  const text = m.binary ? "" : Buffer.from(m.data).toString("utf8");
  if (text.startsWith("close:")) {
    const [, code, reason] = text.split(":");
    send(m.fid, { kind: "close", hid, to, code: Number(code), reason });
  } else if (text === "error") {
    send(m.fid, { kind: "error", hid, to, code: "APP_ERROR", message: "asked for" });
  } else if (text === "head") {
    send(m.fid, { kind: "head", hid, to, status: 200, headers: [], end: true });
    send(m.fid, { kind: "ws", hid, to, data: Buffer.from("still-open"), binary: false });
  } else if (text.startsWith("flood:")) {
    const [, n, bytes] = text.split(":");
    const data = Buffer.alloc(Number(bytes), 7);
    for (let i = 0; i < Number(n); i++) send(m.fid, { kind: "ws", hid, to, data, binary: true });
  } else if (text.startsWith("all:")) {
    const targets = [...open.values()].filter((o) => o.fid === m.fid).map((o) => o.target);
    send(m.fid, { kind: "ws", hid, to: targets, data: Buffer.from(text.slice(4)), binary: false });
  } else {
    send(m.fid, { kind: "ws", hid, to, data: m.data, binary: m.binary });
  }
}

async function receiveRequests(): Promise<void> {
  for await (const frames of pull) {
    for (const payload of frames) {
      const msg = decodeToHandler(payload);
      if (msg.kind === "request") handle(msg);
    }
  }
}

async function receiveEvents(): Promise<void> {
  for await (const [topic, payload] of sub) {
    if (!topic || !payload) continue;
    const msg = decodeToHandler(payload);
    if (msg.kind === "ws") onMessage(msg);
    if (msg.kind === "disconnect" && msg.req !== undefined) open.delete(`${msg.fid}/${msg.req}`);
    const shown = msg.kind === "ws" ? { ...msg, data: Buffer.from(msg.data).toString("hex") } : msg;
    process.stdout.write(`event ${msg.kind} ${JSON.stringify({ ...shown, v: undefined })}\n`);
  }
}

process.stdout.write(`ready ${hid}\n`);
void receiveRequests();
void receiveEvents();
