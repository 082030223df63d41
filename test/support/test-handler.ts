/**
 * A minimal handler process speaking protocol v2 with zeromq and protocol/ only (no SDK), for the
 * frontend's integration tests. What it does is chosen by the request path:
 *
 *   /echo...          one-message reply: JSON {method, path, query, body, conn, req, attempt, hid}
 *   /delay/MS         claim, reply (echo) after MS ms
 *   /slow/MS          no claim, reply (echo) after MS ms
 *   /never            claim, never reply              /silent  no claim, no reply
 *   /only/HID         echo if this handler's id is HID, else silent
 *   /crash            claim, then SIGKILL itself
 *   /stream/N         head without length, N data chunks "chunk-i\n", then end (chunked)
 *   /collect/N        hold until N such requests, then ONE head+end to all of them ("all:N")
 *   /unknown          reply to a made-up [conn, req] first, then echo
 *   /garbage          publish malformed messages first, then echo
 *   /error/CODE       an `error` message with that code      /close   a `close` message
 *
 * Usage: tsx test/support/test-handler.ts --requests EP --replies EP --events EP
 *        [--hid ID] [--interval MS] [--batch N] [--read-after MS] [--log-requests]
 * Prints "ready <hid>" once its sockets are connected, and "frames N" for every requests message
 * of more than one frame (a batch). `--read-after` delays reading requests (work piles up).
 */
import { Pull, Subscriber, XPublisher } from "zeromq";
import { randomBytes } from "node:crypto";
import {
  decodeToHandler,
  encodeToFrontend,
  Limits,
  type RequestMsg,
  type Target,
} from "../../protocol/index.js";
import { serialPublisher } from "./serial-publisher.js";

function arg(name: string, fallback?: string): string {
  const i = process.argv.indexOf(`--${name}`);
  const v = i === -1 ? fallback : process.argv[i + 1];
  if (v === undefined) throw new Error(`--${name} is required`);
  return v;
}

const hid = arg("hid", `test-${randomBytes(4).toString("hex")}`);
const secret = randomBytes(32);
const interval = Number(arg("interval", "1000"));
const batch = Number(arg("batch", "1"));
const readAfter = Number(arg("read-after", "0"));
const pull = new Pull({ linger: 0, maxMessageSize: Limits.maxMessageBytes });
// Unlimited: a burst of replies must wait for the socket, never be dropped by it. An XPUB, so
// each frontend's subscription is seen and answered with a hello at once (slow joiner).
const pub = new XPublisher({ linger: 200, sendHighWaterMark: 0 });
pub.verbosity = "allSubs";
const sub = new Subscriber({ linger: 0 });
pull.connect(arg("requests"));
pub.connect(arg("replies"));
sub.connect(arg("events"));
sub.subscribe(hid);
sub.subscribe("*");

let inflight = 0;
const { send, sendRaw } = serialPublisher(pub);
const hello = (kind: "hello" | "heartbeat") =>
  send("*", {
    kind,
    hid,
    secret,
    capacity: 64,
    inflight,
    interval,
    ...(batch > 1 && { batch }),
    agent: "ferry-test-handler",
  });
const target = (r: RequestMsg): Target => [r.conn, r.req, r.token];
hello("hello");
const beat = setInterval(() => hello("heartbeat"), interval);

function echo(r: RequestMsg): void {
  const body = Buffer.from(
    JSON.stringify({
      method: r.method,
      path: r.path,
      query: r.query,
      body: r.body ? Buffer.from(r.body).toString("utf8") : "",
      conn: r.conn,
      req: r.req,
      attempt: r.attempt ?? 0,
      hid,
      headers: r.headers,
    }),
  );
  send(r.fid, {
    kind: "head",
    hid,
    to: [target(r)],
    status: 200,
    headers: [["content-type", "application/json"]],
    body,
    end: true,
  });
  inflight--;
}

const collected = new Map<number, RequestMsg[]>();

const logRequests = process.argv.includes("--log-requests");

function handle(r: RequestMsg): void {
  inflight++;
  if (logRequests)
    process.stdout.write(
      `request ${r.method} ${r.target} conn=${r.conn} req=${r.req} token=${r.token}\n`,
    );
  const parts = r.path.split("/");
  const claim = () => send(r.fid, { kind: "claim", hid, conn: r.conn, req: r.req, token: r.token });
  switch (parts[1]) {
    case "delay":
      claim();
      setTimeout(() => echo(r), Number(parts[2] ?? 100));
      return;
    case "slow":
      setTimeout(() => echo(r), Number(parts[2] ?? 100));
      return;
    case "never":
      claim();
      return;
    case "silent":
      return;
    case "only":
      return parts[2] === hid ? echo(r) : undefined;
    case "crash":
      claim();
      setTimeout(() => process.kill(process.pid, "SIGKILL"), 20);
      return;
    case "stream": {
      const n = Number(parts[2] ?? 3);
      const to = [target(r)];
      send(r.fid, {
        kind: "head",
        hid,
        to,
        status: 200,
        headers: [["content-type", "text/plain"]],
      });
      for (let i = 0; i < n; i++)
        send(r.fid, { kind: "data", hid, to, data: Buffer.from(`chunk-${i}\n`) });
      send(r.fid, { kind: "end", hid, to });
      inflight--;
      return;
    }
    case "collect": {
      const n = Number(parts[2] ?? 2);
      const list = collected.get(n) ?? [];
      list.push(r);
      collected.set(n, list);
      if (list.length < n) return claim();
      collected.delete(n);
      const to = list.map(target);
      send(r.fid, {
        kind: "head",
        hid,
        to,
        status: 200,
        headers: [],
        body: Buffer.from(`all:${n}`),
        end: true,
      });
      inflight -= n;
      return;
    }
    case "unknown":
      send(r.fid, {
        kind: "head",
        hid,
        to: [[r.conn + 100_000, r.req + 100_000, r.token]],
        status: 200,
        headers: [],
        body: Buffer.from("WRONG"),
        end: true,
      });
      return echo(r);
    case "garbage":
      sendGarbage(r);
      return echo(r);
    case "error":
      send(r.fid, {
        kind: "error",
        hid,
        to: [target(r)],
        code: parts[2] ?? "APP_ERROR",
        message: "test error",
      });
      inflight--;
      return;
    case "close":
      send(r.fid, { kind: "close", hid, to: [target(r)] });
      inflight--;
      return;
    default:
      return echo(r);
  }
}

function sendGarbage(r: RequestMsg): void {
  sendRaw([r.fid]);
  sendRaw([r.fid, Buffer.from("not msgpack at all")]);
  sendRaw([r.fid, Buffer.from([0x81, 0xa1])]);
  sendRaw([
    "wrong-topic",
    encodeToFrontend({
      kind: "head",
      hid,
      to: [target(r)],
      status: 200,
      headers: [],
      body: Buffer.from("WRONG"),
      end: true,
    }),
  ]);
  sendRaw([r.fid, Buffer.from([0x93, 1, 2, 3])]);
}

async function receiveRequests(): Promise<void> {
  if (readAfter > 0) await new Promise((resolve) => setTimeout(resolve, readAfter));
  for await (const frames of pull) {
    if (frames.length > 1) process.stdout.write(`frames ${frames.length}\n`);
    for (const payload of frames) {
      try {
        const msg = decodeToHandler(payload);
        if (msg.kind === "request") handle(msg);
      } catch (err) {
        process.stderr.write(`bad request message: ${String(err)}\n`);
      }
    }
  }
}

async function receiveEvents(): Promise<void> {
  for await (const [topic, payload] of sub) {
    if (!topic || !payload) continue;
    try {
      const msg = decodeToHandler(payload);
      process.stdout.write(`event ${msg.kind} ${JSON.stringify({ ...msg, v: undefined })}\n`);
    } catch {
      // events the test does not care about
    }
  }
}

process.on("SIGTERM", () => {
  send("*", { kind: "goodbye", hid, secret, inflight });
  // Heartbeats go on until the exit: the frontend sees a handler finishing, not a silent one.
  setTimeout(() => {
    clearInterval(beat);
    process.exit(0);
  }, 50);
});

/** A frontend (re)connected: its subscription arrives as a message `\x01topic`. */
async function sayHelloOnSubscribe(): Promise<void> {
  for await (const [frame] of pub) if (frame?.[0] === 1) hello("hello");
}

process.stdout.write(`ready ${hid}\n`);
void sayHelloOnSubscribe();
void receiveRequests();
void receiveEvents();
