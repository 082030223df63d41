/** The Fetch gateway over the in-memory transport: what a Fetch app sees and what it sends. */
import { describe, expect, it } from "vitest";
import { Readable } from "node:stream";
import type { RequestMsg, ToFrontendMsg } from "../../../protocol/index.js";
import { requestUrl } from "../../../handler/fetch/request-url.js";
import { harnessMaker, type Harness } from "./harness.js";

const harness = harnessMaker();

type Head = Extract<ToFrontendMsg, { kind: "head" }>;

function headOf(msgs: ToFrontendMsg[]): Head {
  const head = msgs.find((m): m is Head => m.kind === "head");
  if (!head) throw new Error(`no head in ${JSON.stringify(msgs.map((m) => m.kind))}`);
  return head;
}

function bodyBytes(msgs: ToFrontendMsg[]): number {
  let n = 0;
  for (const m of msgs) {
    if (m.kind === "head" && m.body) n += m.body.length;
    if (m.kind === "data") n += m.data.length;
  }
  return n;
}

/** The app answers request 1 its way, then request 2 normally: the handler kept serving. */
async function failsAloneThenServes(h: Harness, errors: unknown[]): Promise<ToFrontendMsg[]> {
  const bad = h.request("GET", "/bad");
  const msgs = await h.done(bad);
  const good = h.request("GET", "/good");
  const next = await h.done(good);
  expect(headOf(next)).toMatchObject({ status: 200, end: true });
  expect(errors).toHaveLength(1);
  return msgs;
}

describe("Fetch gateway: an app that fails answers 500 for that request only", () => {
  const results: Array<[string, () => unknown]> = [
    ["undefined", () => undefined],
    ["null", () => null],
    ["a number", () => 42],
    ["a plain object", () => ({ hello: "world" })],
    ["a promise of undefined", () => Promise.resolve(undefined)],
    ["a promise of null", () => Promise.resolve(null)],
  ];
  for (const [what, result] of results) {
    it(`returns ${what}`, async () => {
      const errors: unknown[] = [];
      const h = harness({
        fetch: (r: Request) => (new URL(r.url).pathname === "/bad" ? result() : new Response("ok")),
      });
      h.connection.on("appError", (e) => errors.push(e));
      const msgs = await failsAloneThenServes(h, errors);
      expect(msgs.at(-1)).toMatchObject({ kind: "error", code: "APP_ERROR" });
      expect(errors[0]).toBeInstanceOf(TypeError);
    });
  }

  const throws: Array<[string, unknown]> = [
    ["a string", "plain string"],
    ["undefined", undefined],
    ["null", null],
    ["a number", 7],
  ];
  for (const [what, value] of throws) {
    it(`throws ${what}`, async () => {
      const errors: unknown[] = [];
      const h = harness({
        fetch: (r: Request) => {
          if (new URL(r.url).pathname === "/bad") throw value;
          return new Response("ok");
        },
      });
      h.connection.on("appError", (e) => errors.push(e));
      const msgs = await failsAloneThenServes(h, errors);
      expect(msgs.at(-1)).toMatchObject({ kind: "error", code: "APP_ERROR" });
      expect(errors[0]).toBe(value);
    });

    it(`rejects with ${what}`, async () => {
      const errors: unknown[] = [];
      const h = harness({
        fetch: (r: Request) =>
          new URL(r.url).pathname === "/bad"
            ? Promise.reject(value as Error)
            : Promise.resolve(new Response("ok")),
      });
      h.connection.on("appError", (e) => errors.push(e));
      const msgs = await failsAloneThenServes(h, errors);
      expect(msgs.at(-1)).toMatchObject({ kind: "error", code: "APP_ERROR" });
      expect(errors[0]).toBe(value);
    });
  }

  it("returns a thenable whose `then` throws", async () => {
    const errors: unknown[] = [];
    const h = harness({
      fetch: (r: Request) =>
        new URL(r.url).pathname === "/bad"
          ? {
              get then() {
                throw new Error("no then for you");
              },
            }
          : new Response("ok"),
    });
    h.connection.on("appError", (e) => errors.push(e));
    const msgs = await failsAloneThenServes(h, errors);
    expect(msgs.at(-1)).toMatchObject({ kind: "error", code: "APP_ERROR" });
  });

  it("accepts a thenable that resolves to a Response", async () => {
    const h = harness({
      fetch: () => ({ then: (ok: (r: Response) => void) => ok(new Response("via thenable")) }),
    });
    const msgs = await h.done(h.request("GET", "/"));
    expect(h.body(msgs)).toBe("via thenable");
  });
});

describe("Fetch gateway: responses", () => {
  it("sends the head as soon as the app returns a streamed Response, before any chunk", async () => {
    let close!: () => void;
    const body = new ReadableStream<Uint8Array>({
      start(c) {
        close = () => c.close();
      },
    });
    const h = harness({
      fetch: () => new Response(body, { headers: { "content-type": "text/event-stream" } }),
    });
    const req = h.request("GET", "/events");
    await h.transport.waitFor(() => h.about(req).some((m) => m.kind === "head"));
    expect(headOf(h.about(req))).toMatchObject({ status: 200 });
    expect(headOf(h.about(req)).end).toBeUndefined();
    close();
    await h.done(req);
  });

  for (const [what, make] of [
    ["bytes", (n: number) => new Response(new Uint8Array(n).fill(97))],
    ["a string", (n: number) => new Response("a".repeat(n))],
    ["a Blob", (n: number) => new Response(new Blob([new Uint8Array(n)]))],
  ] as const) {
    it(`keeps the length of a 10 MiB body given as ${what}`, async () => {
      const n = 10 * 1024 * 1024;
      const h = harness({ fetch: () => make(n) });
      const msgs = await h.done(h.request("GET", "/big"));
      expect(headOf(msgs).headers).toContainEqual(["content-length", String(n)]);
      expect(bodyBytes(msgs)).toBe(n);
    });
  }

  it("keeps a length the app declared for a streamed body", async () => {
    const n = 6 * 1024 * 1024;
    const h = harness({
      fetch: () =>
        new Response(new Blob([new Uint8Array(n)]).stream(), {
          headers: { "content-length": String(n) },
        }),
    });
    const msgs = await h.done(h.request("GET", "/big"));
    expect(headOf(msgs).headers).toContainEqual(["content-length", String(n)]);
    expect(bodyBytes(msgs)).toBe(n);
  });

  it("sends error, not end, when the body stream fails after the head", async () => {
    let fail!: () => void;
    const body = new ReadableStream<Uint8Array>({
      start(c) {
        c.enqueue(new TextEncoder().encode("part"));
        fail = () => c.error(new Error("upstream gone"));
      },
    });
    const errors: unknown[] = [];
    const h = harness({ fetch: () => new Response(body) });
    h.connection.on("appError", (e) => errors.push(e));
    const req = h.request("GET", "/");
    await h.transport.waitFor(() => h.about(req).some((m) => m.kind === "head"));
    fail();
    const msgs = (await h.done(req)).filter((m) => m.kind !== "claim");
    expect(msgs.map((m) => m.kind)).toEqual(["head", "error"]);
    expect(h.body(msgs)).toBe("part");
    expect(errors).toHaveLength(1);
  });

  it("accepts an object with the Response shape (a ponyfill's Response)", async () => {
    const shaped = {
      status: 201,
      statusText: "Created",
      headers: new Headers([
        ["x-ponyfill", "yes"],
        ["set-cookie", "a=1"],
        ["set-cookie", "b=2"],
      ]),
      body: new Blob(["from a ponyfill"]).stream(),
      arrayBuffer: () => Promise.reject(new Error("the stream is read, not this")),
    };
    const h = harness({ fetch: () => shaped });
    const msgs = await h.done(h.request("GET", "/"));
    const head = headOf(msgs);
    expect(head.status).toBe(201);
    expect(head.headers).toContainEqual(["x-ponyfill", "yes"]);
    expect(head.headers.filter(([n]) => n === "set-cookie")).toHaveLength(2);
    expect(h.body(msgs)).toBe("from a ponyfill");
  });

  it("accepts a Response shape whose body is a Node stream (node-fetch)", async () => {
    const shaped = {
      status: 200,
      headers: new Headers({ "x-from": "node-fetch" }),
      body: Readable.from([Buffer.from("node "), "stream"]),
    };
    const h = harness({ fetch: () => shaped });
    const msgs = await h.done(h.request("GET", "/"));
    expect(headOf(msgs).headers).toContainEqual(["x-from", "node-fetch"]);
    expect(h.body(msgs)).toBe("node stream");
  });

  it("accepts a Response shape with plain-array headers and only arrayBuffer()", async () => {
    const shaped = {
      status: 200,
      headers: [["x-kind", "array"]] as Array<[string, string]>,
      arrayBuffer: () => Promise.resolve(new TextEncoder().encode("bytes").buffer),
    };
    const h = harness({ fetch: () => Promise.resolve(shaped) });
    const msgs = await h.done(h.request("GET", "/"));
    expect(headOf(msgs).headers).toContainEqual(["x-kind", "array"]);
    expect(h.body(msgs)).toBe("bytes");
  });
});

describe("Fetch gateway: the request", () => {
  async function seen(
    method: string,
    extra: Parameters<Harness["request"]>[2] = {},
  ): Promise<{ isNull: boolean; text: string }> {
    let out = { isNull: false, text: "" };
    const h = harness({
      fetch: async (r: Request) => {
        out = { isNull: r.body === null, text: await r.text() };
        return new Response("ok");
      },
    });
    await h.done(h.request(method, "/", extra));
    return out;
  }

  it("gives an empty POST body as an empty stream, not null", async () => {
    expect(
      await seen("POST", {
        headers: [
          ["host", "example.test"],
          ["content-length", "0"],
        ],
        body: new Uint8Array(0),
      }),
    ).toEqual({ isNull: false, text: "" });
    expect(await seen("DELETE", { body: new Uint8Array(0) })).toEqual({
      isNull: false,
      text: "",
    });
  });

  it("keeps a null body for GET and HEAD", async () => {
    expect(await seen("GET")).toEqual({ isNull: true, text: "" });
    expect(await seen("HEAD")).toEqual({ isNull: true, text: "" });
  });
});

describe("requestUrl: built from validated parts", () => {
  // No `port`: the cases below say which port, if any, the frontend sent.
  const base: Omit<RequestMsg, "port"> = {
    v: 2,
    kind: "request",
    fid: "f",
    conn: 1,
    req: 1,
    token: 1,
    method: "GET",
    target: "/a/b?x=1",
    path: "/a/b",
    query: "x=1",
    version: "HTTP/1.1",
    headers: [],
    remote: "10.0.0.1",
    rport: 5000,
    scheme: "http",
    host: "example.test:8080",
    route: "",
    group: "default",
  };
  const url = (extra: Partial<RequestMsg> & { port?: number }) =>
    requestUrl({ ...base, ...extra } as RequestMsg);

  it("is scheme, Host, path and query", () => {
    expect(url({})).toBe("http://example.test:8080/a/b?x=1");
    expect(url({ scheme: "https", host: "[::1]:8443" })).toBe("https://[::1]:8443/a/b?x=1");
  });

  it("never carries a fragment", () => {
    expect(url({ target: "/a#frag", path: "/a#frag", query: "" })).toBe(
      "http://example.test:8080/a",
    );
    expect(url({ target: "/a?x=1#frag", query: "x=1#frag" })).toBe(
      "http://example.test:8080/a/b?x=1",
    );
  });

  it("takes no authority from a malformed Host: localhost and the listener's port", () => {
    for (const host of ["evil.test/path", "a@b", "a b", "x:y:z", "ex.test:99999"]) {
      expect(new URL(url({ host })).host, host).toBe("localhost");
      expect(url({ host, port: 6767 }), host).toBe("http://localhost:6767/a/b?x=1");
    }
    expect(url({ host: "", port: 6767 })).toBe("http://localhost:6767/a/b?x=1");
  });

  it("judges a Host the same every time, however many Hosts came before", () => {
    // Well-formed to the Host grammar, refused by the URL parser (an IPv4 part past 255).
    for (let i = 0; i < 2; i++) {
      expect(url({ host: "1.2.3.999", port: 6767 })).toBe("http://localhost:6767/a/b?x=1");
      expect(url({ host: "ok.test", path: `/p${i}`, query: "" })).toBe(`http://ok.test/p${i}`);
    }
    for (let i = 0; i < 600; i++) {
      const host = i % 2 === 0 ? `h${i}.test` : `1.2.3.${300 + i}`;
      const expected = i % 2 === 0 ? `http://${host}/a/b?x=1` : "http://localhost/a/b?x=1";
      expect(url({ host }), host).toBe(expected);
    }
    expect(url({ host: "1.2.3.999" })).toBe("http://localhost/a/b?x=1");
  });

  it("takes an absolute-form target's authority and path, and the asterisk form as /", () => {
    expect(
      url({ target: "http://other.test:9/p?q=1#f", path: "http://other.test:9/p", query: "q=1#f" }),
    ).toBe("http://other.test:9/p?q=1");
    expect(url({ method: "OPTIONS", target: "*", path: "*", query: "" })).toBe(
      "http://example.test:8080/",
    );
  });
});
