/**
 * A Frontend with the in-memory transport (no ZeroMQ) and a fake handler's side of one Ferry
 * group: what the frontend pushed and published, and a way to send it handler messages.
 */
import { createHash } from "node:crypto";
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
  /** Several payloads in one message under one topic (a batch); raw Buffers are sent as they are. */
  sendBatch(topic: string, msgs: readonly (Draft<ToFrontendMsg> | Buffer)[]): void;
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
        Buffer.from(
          msg.kind === "hello" || msg.kind === "heartbeat" || msg.kind === "goodbye"
            ? "*"
            : "fe-test",
        ),
        encodeToFrontend(msg),
      ]),
    sendBatch: (topic, msgs) =>
      mem.deliver([
        Buffer.from(topic),
        ...msgs.map((m) => (Buffer.isBuffer(m) ? m : encodeToFrontend(m))),
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

/** A handler's secret in these tests: fixed per hid, so every hello of one hid agrees. */
export const secretOf = (hid: string): Buffer =>
  createHash("sha256").update(`secret:${hid}`).digest();

/** A hello or heartbeat; `interval` null leaves it out (the group's configured one applies). */
export const hello = (
  hid: string,
  kind: "hello" | "heartbeat" = "hello",
  interval: number | null = 10_000,
  extra: { secret?: Uint8Array; batch?: number; capacity?: number } = {},
): Draft<ToFrontendMsg> => ({
  kind,
  hid,
  secret: extra.secret ?? secretOf(hid),
  capacity: extra.capacity ?? 8,
  inflight: 0,
  ...(interval !== null && { interval }),
  ...(extra.batch !== undefined && { batch: extra.batch }),
});

/** A goodbye with the hid's own secret (or another one). */
export const goodbye = (hid: string, secret: Uint8Array = secretOf(hid)): Draft<ToFrontendMsg> => ({
  kind: "goodbye",
  hid,
  secret,
});

/** A whole reply (200, no headers, `body`, end) from `hid` to one request or several. */
export const answer = (
  hid: string,
  to: RequestMsg | readonly RequestMsg[],
  body: string,
): Draft<ToFrontendMsg> => ({
  kind: "head",
  hid,
  to: (Array.isArray(to) ? to : [to]).map((m: RequestMsg) => [m.conn, m.req, m.token]),
  status: 200,
  headers: [],
  body: Buffer.from(body),
  end: true,
});

/** Credit of `bytes` more body bytes from `hid` for one request. */
export const credit = (hid: string, m: RequestMsg, bytes: number): Draft<ToFrontendMsg> => ({
  kind: "credit",
  hid,
  conn: m.conn,
  req: m.req,
  token: m.token,
  bytes,
});
