/**
 * A mongrel2 group's liveness with the in-memory transport: the connected handlers the transport
 * reports are the group's live handlers; with none, a request the socket refuses gets 503 at
 * once; with some (all busy), it waits in the queue.
 */
import { afterEach, describe, expect, it } from "vitest";
import { validateConfig } from "../../../frontend/config/validate.js";
import { Frontend } from "../../../frontend/server.js";
import { MemoryTransport, type MemoryGroupSockets } from "../../../frontend/transport/memory.js";
import { get } from "../../integration/frontend/harness.js";

const running: Frontend[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((f) => f.stop(0)));
});

async function m2Frontend(): Promise<{ fe: Frontend; mem: MemoryGroupSockets; url: string }> {
  const config = validateConfig({
    listeners: [{ port: 0 }],
    hosts: [{ names: ["*"], routes: [{ path: "/", target: { kind: "handler", group: "m" } }] }],
    groups: {
      m: {
        protocol: "mongrel2",
        requests: "inproc://a",
        replies: "inproc://b",
        events: "inproc://c",
        heartbeat: { interval: 20, misses: 2 },
        queue: { length: 4, wait: 150 },
      },
    },
  });
  const transport = new MemoryTransport();
  const fe = new Frontend(config, { transport, fid: "fe-test" });
  running.push(fe);
  await fe.start();
  return { fe, mem: transport.groups[0]!, url: fe.addresses[0]! };
}

describe("mongrel2 group liveness", () => {
  it("live handlers are the connected ones the transport reports, idle or not", async () => {
    const { fe, mem } = await m2Frontend();
    const live = () => fe.groups.get("m")!.status().live;
    expect(mem.options.onPeers).toBeTypeOf("function");
    mem.options.onPeers!(0);
    expect(live()).toBe(0);
    mem.options.onPeers!(2);
    expect(live()).toBe(2);
    mem.options.onPeers!(0);
    expect(live()).toBe(0);
  });

  it("none connected: 503 at once; connected but busy: the request waits its turn", async () => {
    const { mem, url } = await m2Frontend();
    mem.capacity = 0;
    mem.options.onPeers!(0);
    const refused = await get(`${url}/x`);
    expect(refused.status).toBe(503);
    expect(refused.headers["x-ferry-error"]).toBe("FERRY_NO_HANDLER");

    mem.options.onPeers!(1);
    const waiting = get(`${url}/y`);
    // Busy for longer than queue.wait: the queue's 503, not "no handler".
    const res = await waiting;
    expect(res.status).toBe(503);
    expect(res.headers["x-ferry-error"]).toBe("FERRY_QUEUE_FULL");
  });
});
