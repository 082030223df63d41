/**
 * Capacity: the frontend hands a group's handlers at most the sum of their declared `capacity`
 * requests that are not finished; the rest wait in the bounded queue (queue.length, queue.wait)
 * and go out, in order, as requests finish or room appears. The `inflight` a handler reports is
 * advisory.
 */
import { afterEach, describe, expect, it } from "vitest";
import type { RequestMsg } from "../../../protocol/index.js";
import { get } from "../../integration/frontend/harness.js";
import { hello, rig, stopRigs, type Rig } from "./group-rig.js";

afterEach(stopRigs);

const pause = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function finish(r: Rig, hid: string, m: RequestMsg, body = m.path): void {
  r.send({
    kind: "head",
    hid,
    to: [[m.conn, m.req, m.token]],
    status: 200,
    headers: [],
    body: Buffer.from(body),
    end: true,
  });
}

describe("ferry group capacity", () => {
  it("a handler of capacity 2 gets at most 2 outstanding requests; the third goes out when one finishes", async () => {
    const r = await rig({ timeout: 5000, queue: { length: 10, wait: 5000 } });
    r.send(hello("a", "hello", 60_000, { capacity: 2 }));
    const replies = ["/1", "/2", "/3"].map((p) => get(`${r.url}${p}`));
    const two = await r.requests(2);
    await pause(100);
    expect(r.mem.sent.length).toBe(2);
    expect(r.fe.groups.get("g")!.status().queued).toBe(1);
    // A streamed response still holds its slot: head without end does not free it.
    r.send({
      kind: "head",
      hid: "a",
      to: [[two[0]!.conn, two[0]!.req, two[0]!.token]],
      status: 200,
      headers: [],
    });
    await pause(50);
    expect(r.mem.sent.length).toBe(2);
    r.send({ kind: "end", hid: "a", to: [[two[0]!.conn, two[0]!.req, two[0]!.token]] });
    const three = await r.requests(3);
    expect(three.length).toBe(3);
    expect(three[2]!.path).toBe("/3");
    finish(r, "a", three[1]!);
    finish(r, "a", three[2]!);
    const bodies = (await Promise.all(replies)).map((x) => x.body);
    expect(bodies).toEqual(["", "/2", "/3"]);
  });

  it("room freed by a finished request is filled at the end of that turn, not after a timer", async () => {
    const r = await rig({ timeout: 5000, queue: { length: 10, wait: 5000 } });
    r.send(hello("a", "hello", 60_000, { capacity: 1 }));
    const replies = ["/1", "/2"].map((p) => get(`${r.url}${p}`));
    const [first] = await r.requests(1);
    await pause(50);
    expect(r.fe.groups.get("g")!.status().queued).toBe(1);
    finish(r, "a", first!);
    // The next check phase of the event loop: a handler at its capacity never idles for a timer.
    await new Promise((resolve) => setImmediate(resolve));
    expect(r.mem.sent.length).toBe(2);
    const [, second] = await r.requests(2);
    finish(r, "a", second!);
    expect((await Promise.all(replies)).map((x) => x.body)).toEqual(["/1", "/2"]);
  });

  it("the reported inflight is advisory: a heartbeat saying 0 does not open room, a larger capacity does", async () => {
    const r = await rig({ timeout: 5000, queue: { length: 10, wait: 5000 } });
    r.send(hello("a", "hello", 60_000, { capacity: 1 }));
    const replies = ["/1", "/2"].map((p) => get(`${r.url}${p}`));
    await r.requests(1);
    r.send(hello("a", "heartbeat", 60_000, { capacity: 1 })); // inflight: 0
    await pause(100);
    expect(r.mem.sent.length).toBe(1);
    r.send(hello("a", "heartbeat", 60_000, { capacity: 2 }));
    const both = await r.requests(2);
    expect(both.length).toBe(2);
    for (const m of both) finish(r, "a", m);
    expect((await Promise.all(replies)).map((x) => x.status)).toEqual([200, 200]);
  });

  it("capacities of live handlers add up; past them and the queue, 503 FERRY_QUEUE_FULL", async () => {
    const r = await rig({ timeout: 5000, queue: { length: 1, wait: 5000 } });
    r.send(hello("a", "hello", 60_000, { capacity: 1 }));
    r.send(hello("b", "hello", 60_000, { capacity: 1 }));
    const first = [get(`${r.url}/1`), get(`${r.url}/2`)];
    const two = await r.requests(2);
    const queued = get(`${r.url}/3`);
    await pause(50);
    const refused = await get(`${r.url}/4`);
    expect(refused.status).toBe(503);
    expect(refused.headers["x-ferry-error"]).toBe("FERRY_QUEUE_FULL");
    expect(refused.headers["retry-after"]).toBe("1");
    finish(r, "b", two[1]!);
    const three = await r.requests(3);
    expect(three[2]!.path).toBe("/3");
    finish(r, "a", two[0]!);
    finish(r, "b", three[2]!);
    expect((await Promise.all([...first, queued])).map((x) => x.status)).toEqual([200, 200, 200]);
  });

  it("a queued request past queue.wait is answered 503 FERRY_QUEUE_FULL", async () => {
    const r = await rig({ timeout: 5000, queue: { length: 10, wait: 100 } });
    r.send(hello("a", "hello", 60_000, { capacity: 1 }));
    const held = get(`${r.url}/1`);
    const [m] = await r.requests(1);
    const late = await get(`${r.url}/2`);
    expect(late.status).toBe(503);
    expect(late.headers["x-ferry-error"]).toBe("FERRY_QUEUE_FULL");
    expect(r.mem.sent.length).toBe(1);
    finish(r, "a", m!);
    expect((await held).status).toBe(200);
  });

  it("a draining handler's capacity no longer counts", async () => {
    const r = await rig({ timeout: 5000, queue: { length: 10, wait: 5000 } });
    r.send(hello("a", "hello", 60_000, { capacity: 1 }));
    r.send(hello("b", "hello", 60_000, { capacity: 1 }));
    r.send({ kind: "goodbye", hid: "b", secret: (hello("b") as { secret: Uint8Array }).secret });
    const replies = [get(`${r.url}/1`), get(`${r.url}/2`)];
    const [m] = await r.requests(1);
    await pause(100);
    expect(r.mem.sent.length).toBe(1);
    finish(r, "a", m!);
    const both = await r.requests(2);
    finish(r, "a", both[1]!);
    expect((await Promise.all(replies)).map((x) => x.status)).toEqual([200, 200]);
  });
});
