/**
 * A defect on any way in (dispatch of a plain request, of a body read first, of a WebSocket
 * upgrade) never reaches the event loop: that one exchange is answered 500 FERRY_INTERNAL,
 * reported with its stack and counted, and the frontend keeps serving the next request. In
 * process, with the in-memory transport, the group's dispatch made to throw.
 */
import { connect } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import type { HandlerGroup } from "../../frontend/groups/types.js";
import { answer, hello, rig, stopRigs, type Rig } from "../unit/frontend/group-rig.js";
import { responses } from "./harness.js";

function raw(url: string, bytes: string): Promise<string> {
  const { port } = new URL(url);
  return new Promise((resolve, reject) => {
    const s = connect(Number(port), "127.0.0.1", () => s.write(bytes));
    let data = "";
    s.on("data", (c: Buffer) => (data += c.toString("latin1")));
    s.on("close", () => resolve(data));
    s.on("error", (err: NodeJS.ErrnoException) =>
      err.code === "ECONNRESET" ? resolve(data) : reject(err),
    );
    setTimeout(() => s.destroy(), 2000).unref();
  });
}

afterEach(stopRigs);

async function faulty(): Promise<{
  r: Rig;
  reports: Array<{ err: Error; where: string }>;
  restore: () => void;
}> {
  const r = await rig();
  r.send(hello("a"));
  const group = r.fe.groups.get("g") as HandlerGroup;
  const dispatch = group.dispatch.bind(group);
  group.dispatch = () => {
    throw new Error("a defect in dispatch");
  };
  const reports: Array<{ err: Error; where: string }> = [];
  r.fe.on("internal-error", (info: { err: Error; where: string }) => reports.push(info));
  await new Promise((res) => setTimeout(res, 20));
  return { r, reports, restore: () => (group.dispatch = dispatch) };
}

const WAYS: Array<[string, string]> = [
  ["a plain request", "GET /x HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n"],
  [
    "a body read first",
    "POST /x HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello",
  ],
  [
    "a WebSocket upgrade",
    "GET /x HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
      "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n",
  ],
];

describe("defects stay inside their exchange", () => {
  for (const [name, bytes] of WAYS) {
    it(`answers 500 FERRY_INTERNAL to ${name}, reports and counts it, and serves on`, async () => {
      const { r, reports, restore } = await faulty();
      const data = await raw(r.url, bytes);
      const [first] = responses(data);
      expect(first?.head).toMatch(/^HTTP\/1\.1 500 Internal Server Error\r\n/);
      expect(first?.head).toMatch(/\r\nx-ferry-error: FERRY_INTERNAL\r\n/);
      // The defect's message stays in the log, not in the answer.
      expect(data).not.toContain("a defect in dispatch");
      expect(r.fe.counters.internalErrors).toBe(1);
      expect(reports[0]?.err.stack).toContain("a defect in dispatch");
      expect(r.fe.inflight).toBe(0);
      restore();
      const next = raw(r.url, "GET /y HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n");
      const [req] = await r.requests(1);
      r.send(answer("a", req!, "ok"));
      expect(responses(await next)[0]?.body).toBe("ok");
    });
  }
});
