/**
 * A minimal Ferry-protocol handler on zeromq.js and protocol/ (no SDK): requests in on PULL,
 * replies out on PUB, a hello then heartbeats. Every request gets the same 200 "Hello, World!"
 * (one head message carrying the body). With a handler this cheap, the frontend is what a
 * benchmark measures: the Ferry-protocol counterpart of bench/apps/m2-handler.ts.
 * Usage: node --import tsx bench/apps/ferry-handler.ts REQUESTS REPLIES
 */
import { randomBytes } from "node:crypto";
import { Publisher, Pull } from "zeromq";
import { decodeToHandler, type HeaderPair } from "../../protocol/index.js";
import { serialPublisher } from "../../test/support/serial-publisher.js";

const [requests, replies] = process.argv.slice(2);
if (requests === undefined || replies === undefined)
  throw new Error("usage: ferry-handler REQUESTS REPLIES");

const hid = `bench-${randomBytes(4).toString("hex")}`;
const INTERVAL = 1000;
const HEADERS: HeaderPair[] = [["content-type", "text/plain"]];
const BODY = Buffer.from("Hello, World!");

const pull = new Pull({ linger: 0 });
const pub = new Publisher({ linger: 0 });
pull.connect(requests);
pub.connect(replies);

const { send } = serialPublisher(pub);

const announce = (kind: "hello" | "heartbeat") =>
  send("*", { kind, hid, capacity: 1024, inflight: 0, interval: INTERVAL, agent: "bench" });
announce("hello");
setInterval(() => announce("heartbeat"), INTERVAL);

async function main(): Promise<void> {
  process.stdout.write("handler ready\n");
  for await (const [payload] of pull) {
    if (payload === undefined) continue;
    const msg = decodeToHandler(payload);
    if (msg.kind !== "request") continue;
    send(msg.fid, {
      kind: "head",
      hid,
      to: [[msg.conn, msg.req]],
      status: 200,
      headers: HEADERS,
      body: BODY,
      end: true,
    });
  }
}

process.on("SIGTERM", () => process.exit(0));
await main();
