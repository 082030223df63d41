import { describe, expect, it } from "vitest";
import { requestHead } from "../../../handler/node/request-head.js";
import type { RequestMsg } from "../../../protocol/index.js";

const base: RequestMsg = {
  v: 2,
  kind: "request",
  fid: "f",
  conn: 1,
  req: 1,
  token: 1,
  method: "POST",
  target: "/a?b=1",
  path: "/a",
  query: "b=1",
  version: "HTTP/1.1",
  headers: [
    ["host", "x.test"],
    ["transfer-encoding", "chunked"],
    ["expect", "100-continue"],
    ["x-n", "é"],
  ],
  remote: "::1",
  rport: 1,
  port: 80,
  scheme: "http",
  host: "x.test",
  route: "",
  group: "g",
};

describe("requestHead", () => {
  it("rewrites framing to the body held, and leaves Expect to the frontend", () => {
    expect(requestHead(base, 3).toString("latin1")).toBe(
      "POST /a?b=1 HTTP/1.1\r\nhost: x.test\r\ncontent-length: 3\r\nx-n: é\r\n\r\n",
    );
  });

  it("announces chunked framing for a streamed body, and adds Host when absent", () => {
    const msg = { ...base, headers: [] };
    expect(requestHead(msg, undefined).toString("latin1")).toBe(
      "POST /a?b=1 HTTP/1.1\r\ntransfer-encoding: chunked\r\nhost: x.test\r\n\r\n",
    );
  });

  it("adds no length to a bodiless GET", () => {
    const msg = { ...base, method: "GET", headers: [["host", "x.test"]] as [string, string][] };
    expect(requestHead(msg, 0).toString("latin1")).toBe(
      "GET /a?b=1 HTTP/1.1\r\nhost: x.test\r\n\r\n",
    );
  });
});
