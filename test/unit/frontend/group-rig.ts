/**
 * A Frontend with the in-memory transport (no ZeroMQ) and a fake handler's side of one Ferry
 * group: what the frontend pushed and published, and a way to send it handler messages.
 */
import {
  decodeToHandler,
  encodeToFrontend,
  type Draft,
  type RequestMsg,
  type ToFrontendMsg,
  type ToHandlerMsg,
} from "../../../protocol/index.js";
import { validateConfig } from "../../../frontend/config/validate.js";
import { Frontend } from "../../../frontend/server.js";
import { MemoryTransport, type MemoryGroupSockets } from "../../../frontend/transport/memory.js";

export interface Rig {
  fe: Frontend;
  mem: MemoryGroupSockets;
  url: string;
  send(msg: Draft<ToFrontendMsg>): void;
  requests(n: number): Promise<RequestMsg[]>;
  events(): ToHandlerMsg[];
}

const running: Frontend[] = [];

/** Stop every frontend `rig()` started (call in afterEach). */
export async function stopRigs(): Promise<void> {
  await Promise.all(running.splice(0).map((f) => f.stop(0)));
}

export async function rig(
  group: Record<string, unknown> = {},
  extra: Record<string, unknown> = {},
): Promise<Rig> {
  const config = validateConfig({
    ...extra,
    listeners: [{ port: 0 }],
    hosts: [{ names: ["*"], routes: [{ path: "/", target: { kind: "handler", group: "g" } }] }],
    groups: {
      g: {
        requests: "inproc://a",
        replies: "inproc://b",
        events: "inproc://c",
        heartbeat: { interval: 40, misses: 2 },
        ...group,
      },
    },
  });
  const transport = new MemoryTransport();
  const fe = new Frontend(config, { transport, fid: "fe-test" });
  running.push(fe);
  await fe.start();
  const mem = transport.groups[0]!;
  return {
    fe,
    mem,
    url: fe.addresses[0]!,
    send: (msg) =>
      mem.deliver([
        Buffer.from(msg.kind === "hello" || msg.kind === "heartbeat" ? "*" : "fe-test"),
        encodeToFrontend(msg),
      ]),
    async requests(n) {
      const deadline = Date.now() + 5000;
      while (mem.sent.length < n && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 2));
      return mem.sent.map((p) => decodeToHandler(p) as RequestMsg);
    },
    events: () => mem.published.map((e) => ({ ...decodeToHandler(e.payload), topic: e.topic })),
  };
}

export const hello = (
  hid: string,
  kind: "hello" | "heartbeat" = "hello",
  interval = 10_000,
): Draft<ToFrontendMsg> => ({ kind, hid, capacity: 8, inflight: 0, interval });
