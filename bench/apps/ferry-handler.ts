/**
 * A minimal Ferry-protocol (v2) handler on zeromq.js and protocol/ (no SDK): requests in on PULL
 * (batches of up to BATCH), replies out on an XPUB (a hello as soon as a frontend subscribes,
 * then heartbeats). Every request gets the same 200 "Hello, World!" (one head message carrying
 * the body); the replies to one batch leave as one message. With a handler this cheap, the
 * frontend is what a benchmark measures: the Ferry-protocol counterpart of bench/apps/m2-handler.ts.
 * Usage: node --import tsx bench/apps/ferry-handler.ts REQUESTS REPLIES [BATCH]
 */
import { randomBytes } from "node:crypto";
import { Pull, XPublisher } from "zeromq";
import { decodeToHandler, Limits, type HeaderPair } from "../../protocol/index.js";
import { serialPublisher } from "../../test/support/serial-publisher.js";

const [requests, replies, batchArg] = process.argv.slice(2);
if (requests === undefined || replies === undefined)
  throw new Error("usage: ferry-handler REQUESTS REPLIES [BATCH]");
const BATCH = Number(batchArg ?? 64);

const hid = `bench-${randomBytes(4).toString("hex")}`;
const secret = randomBytes(32);
const INTERVAL = 1000;
const HEADERS: HeaderPair[] = [["content-type", "text/plain"]];
const BODY = Buffer.from("Hello, World!");

const pull = new Pull({ linger: 0, maxMessageSize: Limits.maxMessageBytes });
// Never drop a reply: past the high-water mark a send waits instead.
const pub = new XPublisher({ linger: 0, sendHighWaterMark: 0, noDrop: true });
pull.connect(requests);
pub.connect(replies);

const { send } = serialPublisher(pub);

const announce = (kind: "hello" | "heartbeat") =>
  send("*", {
    kind,
    hid,
    secret,
    capacity: 1024,
    inflight: 0,
    interval: INTERVAL,
    batch: BATCH,
    agent: "bench",
  });
setInterval(() => announce("heartbeat"), INTERVAL);

/** A frontend subscribed (it started, or restarted): say hello now, not at the next heartbeat. */
async function helloOnSubscribe(): Promise<void> {
  for await (const [frame] of pub) if (frame?.[0] === 1) announce("hello");
}

async function main(): Promise<void> {
  process.stdout.write("handler ready\n");
  for await (const frames of pull) {
    for (const payload of frames) {
      const msg = decodeToHandler(payload);
      if (msg.kind !== "request") continue;
      send(msg.fid, {
        kind: "head",
        hid,
        to: [[msg.conn, msg.req, msg.token]],
        status: 200,
        headers: HEADERS,
        body: BODY,
        end: true,
      });
    }
  }
}

void helloOnSubscribe();

process.on("SIGTERM", () => process.exit(0));
await main();
