/**
 * A minimal Mongrel2 handler on zeromq.js, written from Mongrel2's documented protocol (not
 * Ferry's code), for reference figures and as "the same handler" for a frontend swap: it runs
 * unchanged behind Mongrel2 and behind Ferry in Mongrel2 mode. Routes as bench/apps/node-hello.mjs;
 * /io waits 20 ms without blocking.
 * Usage: node --import tsx bench/apps/m2-handler.ts SEND_SPEC RECV_SPEC
 */
import { Publisher, Pull } from "zeromq";

const [sendSpec, recvSpec] = process.argv.slice(2);
if (sendSpec === undefined || recvSpec === undefined)
  throw new Error("usage: m2-handler SEND_SPEC RECV_SPEC");

const MAX_IDS = 128;
const SPACE = 0x20;

function http(body: string): Buffer {
  return Buffer.from(
    `HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
}
const HELLO = http("Hello, World!");

const pull = new Pull();
const pub = new Publisher();
pull.connect(sendSpec);
pub.connect(recvSpec);

// zeromq.js allows one pending send; replies queue here and go out in order.
const queue: Buffer[] = [];
let sending = false;
async function send(msg: Buffer): Promise<void> {
  queue.push(msg);
  if (sending) return;
  sending = true;
  while (queue.length > 0) await pub.send(queue.shift() as Buffer);
  sending = false;
}
function reply(sender: string, ids: string, body: Buffer): void {
  void send(Buffer.concat([Buffer.from(`${sender} ${ids.length}:${ids}, `), body]));
}

const held = new Map<string, string[]>();

async function main(): Promise<void> {
  process.stdout.write("handler ready\n");
  for await (const [msg] of pull) {
    if (msg === undefined) continue;
    const a = msg.indexOf(SPACE);
    const b = msg.indexOf(SPACE, a + 1);
    const c = msg.indexOf(SPACE, b + 1);
    const sender = msg.toString("latin1", 0, a);
    const conn = msg.toString("latin1", a + 1, b);
    const path = msg.toString("latin1", b + 1, c);
    switch (path) {
      case "@*": {
        const ids = held.get(sender);
        const i = ids?.indexOf(conn) ?? -1;
        if (ids && i >= 0) ids.splice(i, 1);
        break;
      }
      case "/io":
        setTimeout(() => reply(sender, conn, HELLO), 20);
        break;
      case "/poll": {
        const ids = held.get(sender) ?? [];
        ids.push(conn);
        held.set(sender, ids);
        break;
      }
      case "/count": {
        let n = 0;
        for (const ids of held.values()) n += ids.length;
        reply(sender, conn, http(String(n)));
        break;
      }
      case "/broadcast": {
        let n = 0;
        const body = http("broadcast");
        for (const [uuid, ids] of held) {
          for (let i = 0; i < ids.length; i += MAX_IDS)
            reply(uuid, ids.slice(i, i + MAX_IDS).join(" "), body);
          n += ids.length;
        }
        held.clear();
        reply(sender, conn, http(String(n)));
        break;
      }
      default:
        reply(sender, conn, HELLO);
    }
  }
}

process.on("SIGTERM", () => process.exit(0));
await main();
