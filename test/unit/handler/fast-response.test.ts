import { inspect } from "node:util";
import { describe, expect, it } from "vitest";
import type { ToFrontendMsg } from "../../../protocol/index.js";
import {
  FastResponse,
  NativeResponse,
  installFastResponse,
} from "../../../handler/fetch/fast-response.js";
import { harnessMaker } from "./harness.js";

const harness = harnessMaker();

const COOKIES = [
  ["set-cookie", "a=1; Path=/"],
  ["set-cookie", "b=2; HttpOnly"],
  ["x-extra", "yes"],
] as [string, string][];

/** What the frontend receives for the Response `make(R)` builds, R being a Response class. */
async function sent(make: (R: typeof Response) => Response): Promise<ToFrontendMsg[]> {
  const h = harness({ fetch: () => make(FastResponse) });
  const native = harness({ fetch: () => make(NativeResponse) });
  const req = h.request("GET", "/");
  const nreq = native.request("GET", "/");
  const msgs = await h.done(req);
  const nmsgs = await native.done(nreq);
  // Byte for byte what Node's own Response sends (the handler id aside).
  const strip = (m: ToFrontendMsg) => ({ ...m, hid: "" });
  expect(msgs.map(strip)).toEqual(nmsgs.map(strip));
  return msgs;
}

function bytesOf(msgs: ToFrontendMsg[]): Buffer {
  const parts: Uint8Array[] = [];
  for (const m of msgs) {
    if (m.kind === "head" && m.body) parts.push(m.body);
    if (m.kind === "data") parts.push(m.data);
  }
  return Buffer.concat(parts);
}

describe("the substitute Response on the wire", () => {
  it("serving a Fetch app makes it the global Response", () => {
    harness({ fetch: () => new Response("x") });
    expect(globalThis.Response).toBe(FastResponse);
  });

  it("sends a string body in one head message, with its content type and every set-cookie", async () => {
    const msgs = await sent((R) => new R("héllo wörld", { status: 201, headers: COOKIES }));
    expect(msgs).toHaveLength(1);
    expect(msgs[0]).toMatchObject({ kind: "head", status: 201, end: true });
    const head = msgs[0] as Extract<ToFrontendMsg, { kind: "head" }>;
    expect(head.headers.filter(([n]) => n === "set-cookie").map(([, v]) => v)).toEqual([
      "a=1; Path=/",
      "b=2; HttpOnly",
    ]);
    expect(head.headers).toContainEqual(["content-type", "text/plain;charset=UTF-8"]);
    expect(bytesOf(msgs).toString("utf8")).toBe("héllo wörld");
  });

  it("sends bytes as given, and not what the app writes into them afterwards", async () => {
    const all = new Uint8Array(256).map((_, i) => i);
    const msgs = await sent((R) => {
      const view = Buffer.from(all).subarray(3, 200);
      const res = new R(view, { headers: { "content-type": "application/octet-stream" } });
      view.fill(0);
      return res;
    });
    expect(bytesOf(msgs)).toEqual(Buffer.from(all.subarray(3, 200)));
  });

  it("sends an ArrayBuffer and a DataView body byte-exact, with no content type of its own", async () => {
    const ab = new Uint8Array([1, 2, 3, 250]).buffer;
    let msgs = await sent((R) => new R(ab.slice(0)));
    expect(bytesOf(msgs)).toEqual(Buffer.from([1, 2, 3, 250]));
    const head = msgs[0] as Extract<ToFrontendMsg, { kind: "head" }>;
    expect(head.headers.some(([n]) => n === "content-type")).toBe(false);
    msgs = await sent((R) => new R(new DataView(ab, 1, 2)));
    expect(bytesOf(msgs)).toEqual(Buffer.from([2, 3]));
  });

  it("sends an empty string as an empty body with a length, not as a null body", async () => {
    const msgs = await sent((R) => new R(""));
    expect(msgs).toHaveLength(1);
    expect(msgs[0]).toMatchObject({ kind: "head", end: true });
  });

  it("sends a null body as a null body (head, then end on its own)", async () => {
    const msgs = await sent((R) => new R(null, { status: 204, headers: COOKIES }));
    expect(msgs.map((m) => m.kind)).toEqual(["head", "end"]);
  });

  it("streams a stream body", async () => {
    const msgs = await sent(
      (R) =>
        new R(
          new ReadableStream<Uint8Array>({
            start(c) {
              c.enqueue(new TextEncoder().encode("one "));
              setTimeout(() => {
                c.enqueue(new TextEncoder().encode("two"));
                c.close();
              }, 5);
            },
          }),
          { headers: COOKIES },
        ),
    );
    expect(bytesOf(msgs).toString()).toBe("one two");
    expect(msgs.length).toBeGreaterThan(1);
  });

  it("sends Response.json() with application/json and the JSON text", async () => {
    const data = { a: [1, "two", null], b: "ü" };
    const msgs = await sent((R) => R.json(data, { status: 202, headers: COOKIES }));
    const head = msgs[0] as Extract<ToFrontendMsg, { kind: "head" }>;
    expect(head.status).toBe(202);
    expect(head.headers).toContainEqual(["content-type", "application/json"]);
    expect(JSON.parse(bytesOf(msgs).toString("utf8"))).toEqual(data);
  });

  it("sends a body the app read through clone() first", async () => {
    const msgs = await sent((R) => {
      const res = new R("peeked", { headers: COOKIES });
      void res.clone().text();
      return res;
    });
    expect(bytesOf(msgs).toString()).toBe("peeked");
  });

  it("sends headers as Node's own would: sorted, one name's values joined, blanks trimmed", async () => {
    const record = {
      "X-B": " 1 ",
      "x-a": "2",
      "x-b": "3\t",
      Connection: "close",
      "Set-Cookie": "c=1",
      "set-cookie": "d=2",
    };
    const msgs = await sent((R) => new R("x", { headers: record }));
    const head = msgs[0] as Extract<ToFrontendMsg, { kind: "head" }>;
    expect(head.headers).toEqual([
      ["content-type", "text/plain;charset=UTF-8"],
      ["set-cookie", "c=1"],
      ["set-cookie", "d=2"],
      ["x-a", "2"],
      ["x-b", "1, 3"],
    ]);
    await sent((R) => new R("x", { headers: [...COOKIES, ["X-Extra", "again"]] }));
    await sent((R) => new R("x", { headers: new Headers(COOKIES) }));
    await sent((R) => new R(new Uint8Array([1]), { headers: { "content-type": "a/b" } }));
  });

  it("sends what the app changed in the headers after making the Response", async () => {
    await sent((R) => {
      const res = new R("x", { headers: COOKIES });
      res.headers.set("x-extra", "changed");
      res.headers.append("x-late", "1");
      res.headers.delete("content-type");
      return res;
    });
  });

  it("sends a null body with headers as a null body, its length as the app gave it", async () => {
    let msgs = await sent((R) => new R(null, { status: 302, headers: { location: "/there" } }));
    expect(msgs.map((m) => m.kind)).toEqual(["head", "end"]);
    msgs = await sent((R) => new R(undefined, { headers: { "content-length": "0" } }));
    expect(msgs.map((m) => m.kind)).toEqual(["head"]);
  });

  it("takes status, reason and headers from another Response given as the init", async () => {
    const msgs = await sent(
      (R) => new R("x", new R("y", { status: 203, statusText: "Made", headers: COOKIES })),
    );
    expect(msgs[0]).toMatchObject({ kind: "head", status: 203 });
  });

  it("leaves what Node converts to Node: numbers, control characters, other kinds of init", async () => {
    await sent((R) => new R("x", { headers: { "x-n": 5 as unknown as string } }));
    await sent((R) => new R("x", { headers: { "x-c": "a\u0001b" } }));
    await sent((R) => new R("x", { status: 201.7 }));
    await sent((R) => new R("x", { status: "202" as unknown as number }));
    await sent((R) => new R("x", { headers: new Map([["x-m", "1"]]) as unknown as HeadersInit }));
  });

  it("answers 500 when the same Response is returned twice (its body is used up)", async () => {
    const one = new FastResponse("once");
    const h = harness({ fetch: () => one });
    expect(h.body(await h.done(h.request("GET", "/")))).toBe("once");
    const second = await h.done(h.request("GET", "/"));
    expect(second.map((m) => m.kind)).toEqual(["error"]);
    expect(one.bodyUsed).toBe(true);
  });
});

describe("the substitute Response as an object", () => {
  it("is a Response to instanceof, and so is every Response Node makes", () => {
    installFastResponse();
    expect(new Response("x")).toBeInstanceOf(Response);
    expect(new Response("x")).toBeInstanceOf(NativeResponse);
    expect(new NativeResponse("x")).toBeInstanceOf(Response);
    expect(NativeResponse.error()).toBeInstanceOf(Response);
    expect(Response.json({})).toBeInstanceOf(Response);
    expect(Response.name).toBe("Response");
    expect(Object.prototype.toString.call(new Response("x"))).toBe("[object Response]");
    class Mine extends Response {}
    expect(new Mine("x")).toBeInstanceOf(Mine);
    expect(new Response("x")).not.toBeInstanceOf(Mine);
  });

  it("reads its body like Node's own: text, bytes, bodyUsed, a second read refused", async () => {
    const res = new FastResponse("abc");
    expect(res.bodyUsed).toBe(false);
    expect(res.body).toBeInstanceOf(ReadableStream);
    expect(await res.text()).toBe("abc");
    expect(res.bodyUsed).toBe(true);
    await expect(res.text()).rejects.toThrow(TypeError);
    expect(() => res.clone()).toThrow(TypeError);
    const bytes = new FastResponse(new Uint8Array([7, 8]));
    expect(new Uint8Array(await bytes.arrayBuffer())).toEqual(new Uint8Array([7, 8]));
    expect(await FastResponse.json({ k: 1 }).json()).toEqual({ k: 1 });
    expect((await new FastResponse("x", { headers: { "content-type": "a/b" } }).blob()).type).toBe(
      "a/b",
    );
  });

  it("clones with status, headers and body; both copies read in full", async () => {
    const res = new FastResponse("twice", { status: 299, statusText: "Fine", headers: COOKIES });
    const copy = res.clone();
    expect(copy).toBeInstanceOf(FastResponse);
    expect(copy.status).toBe(299);
    expect(copy.statusText).toBe("Fine");
    expect(copy.headers.getSetCookie()).toEqual(["a=1; Path=/", "b=2; HttpOnly"]);
    expect(await copy.text()).toBe("twice");
    expect(await res.text()).toBe("twice");
  });

  it("throws what Node's own throws for a body with a null-body status or a bad status", () => {
    const message = (f: () => unknown) => {
      try {
        f();
      } catch (err) {
        return `${(err as Error).constructor.name}: ${(err as Error).message}`;
      }
      return "no error";
    };
    for (const init of [{ status: 204 }, { status: 99 }, { status: 200, statusText: "\n" }]) {
      expect(message(() => new FastResponse("x", init))).toBe(
        message(() => new NativeResponse("x", init)),
      );
      expect(message(() => FastResponse.json(1, init))).toBe(
        message(() => NativeResponse.json(1, init)),
      );
    }
    expect(message(() => FastResponse.json(undefined))).toBe(
      message(() => NativeResponse.json(undefined)),
    );
    const bad: unknown[] = [
      { headers: { "a b": "1" } },
      { headers: { a: "\u0100" } },
      { headers: { [Symbol("s")]: "1" } },
      { headers: [["a", "1", "2"]] },
      { headers: 5 },
      { statusText: "\u0100" },
      5,
      "init",
    ];
    for (const init of bad as ResponseInit[]) {
      expect(message(() => new FastResponse("x", init))).toBe(
        message(() => new NativeResponse("x", init)),
      );
    }
  });

  it("answers status, ok, statusText, type, url, redirected and headers like Node's own", () => {
    for (const init of [undefined, { status: 404, statusText: "Gone Away", headers: COOKIES }]) {
      const fast = new FastResponse("x", init);
      const native = new NativeResponse("x", init);
      for (const key of ["status", "ok", "statusText", "type", "url", "redirected", "bodyUsed"])
        expect(fast[key as keyof Response], key).toBe(native[key as keyof Response]);
      expect([...fast.headers]).toEqual([...native.headers]);
      expect(fast.headers).toBe(fast.headers);
      expect(fast.headers).toBeInstanceOf(Headers);
    }
    expect(new FastResponse(null).body).toBe(null);
    expect(inspect(new FastResponse("x", { status: 201 }))).toContain("status: 201");
    class Mine extends FastResponse {
      readonly mine = true;
    }
    const mine = new Mine("x", { status: 202 });
    expect(mine).toBeInstanceOf(Mine);
    expect(mine.mine).toBe(true);
    expect(mine.status).toBe(202);
  });

  it("gives a body with no type once the app removed the content type", async () => {
    const res = new FastResponse("x");
    res.headers.delete("content-type");
    expect((await res.blob()).type).toBe("");
  });

  it("keeps a content type the app removed out of a clone", async () => {
    const res = new FastResponse("x");
    res.headers.delete("content-type");
    expect(res.clone().headers.has("content-type")).toBe(false);
  });
});
