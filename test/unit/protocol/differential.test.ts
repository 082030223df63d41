/**
 * The one-pass codec (codec.ts) against the msgpackr-based reference (reference-codec.ts): on every
 * vector, on thousands of random messages of every kind, and on those messages mutated, cut,
 * re-ordered and re-typed, both give the same value or the same error (code, path, text, peer);
 * both encoders write the same bytes or throw the same error. Seeded: a failure names its seed.
 */
import { isDeepStrictEqual } from "node:util";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  decodeToFrontend,
  decodeToHandler,
  encodeToFrontend,
  encodeToHandler,
  isProtocolError,
  ToFrontendSchema,
  ToHandlerSchema,
  type Draft,
  type ToFrontendMsg,
  type ToHandlerMsg,
} from "../../../protocol/index.js";
import {
  referenceDecodeToFrontend,
  referenceDecodeToHandler,
  referenceEncodeToFrontend,
  referenceEncodeToHandler,
} from "../../../protocol/reference-codec.js";
import {
  loadVectors,
  type InvalidVector,
  type ValidVector,
} from "../../conformance/vector-json.js";
import { Entries, Float, pack, raw } from "../../conformance/msgpack-writer.js";
import { toFrontendMessage, toHandlerMessage } from "./arbitraries.js";

const SEED = 20_260_407;

/** A small seeded PRNG (mulberry32), for the mutations. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Outcome =
  { ok: unknown } | { code: string; path: string | undefined; message: string; peer: unknown };

function outcome(run: () => unknown): Outcome {
  try {
    return { ok: run() };
  } catch (err) {
    if (!isProtocolError(err)) throw err;
    return { code: err.code, path: err.path, message: err.message, peer: err.peer };
  }
}

const decoders = [
  { name: "to-handler", onePass: decodeToHandler, reference: referenceDecodeToHandler },
  { name: "to-frontend", onePass: decodeToFrontend, reference: referenceDecodeToFrontend },
] as const;

let calls = 0;

/**
 * Both decoders of both directions agree on `bytes`, given as a Buffer or as a Uint8Array (in
 * turn, or both when `both`).
 */
function expectSameDecode(bytes: Uint8Array, label: string, both = false): void {
  const copies = [Buffer.from(bytes), new Uint8Array(bytes)];
  for (const input of both ? copies : [copies[calls++ % 2]!]) {
    for (const d of decoders) {
      const want = outcome(() => d.reference(input));
      const got = outcome(() => d.onePass(input));
      // Build the failure text only on a failure: most calls agree.
      if (!isDeepStrictEqual(got, want)) {
        const hex = Buffer.from(bytes).toString("hex").slice(0, 400);
        expect(got, `${label} ${d.name} ${hex}`).toStrictEqual(want);
      }
      if ("ok" in got) expectViews(got.ok, input);
    }
  }
}

/** Received bins are views of the received buffer, never copies. */
function expectViews(msg: unknown, input: Uint8Array): void {
  for (const value of Object.values(msg as Record<string, unknown>)) {
    if (value instanceof Uint8Array) expect(value.buffer).toBe(input.buffer);
  }
}

function expectSameEncode(direction: "to-handler" | "to-frontend", msg: unknown, label: string) {
  const [onePass, reference] =
    direction === "to-handler"
      ? [
          () => encodeToHandler(msg as Draft<ToHandlerMsg>),
          () => referenceEncodeToHandler(msg as Draft<ToHandlerMsg>),
        ]
      : [
          () => encodeToFrontend(msg as Draft<ToFrontendMsg>),
          () => referenceEncodeToFrontend(msg as Draft<ToFrontendMsg>),
        ];
  const want = outcome(reference);
  const got = outcome(onePass);
  if ("ok" in want && "ok" in got) {
    expect(Buffer.from(got.ok as Uint8Array).toString("hex"), label).toBe(
      Buffer.from(want.ok as Uint8Array).toString("hex"),
    );
  } else expect(got, label).toStrictEqual(want);
}

describe("one-pass codec and reference codec agree", () => {
  it("on every vector, valid and invalid", () => {
    const vectors = [
      ...loadVectors<ValidVector>("ferry-valid.json"),
      ...loadVectors<InvalidVector>("ferry-invalid.json"),
    ];
    for (const v of vectors) expectSameDecode(Buffer.from(v.hex, "hex"), v.name, true);
  });

  it("on random valid messages of every kind, both ways", () => {
    for (const [direction, arbitrary] of [
      ["to-handler", toHandlerMessage],
      ["to-frontend", toFrontendMessage],
    ] as const) {
      for (const msg of fc.sample(arbitrary, { numRuns: 1000, seed: SEED })) {
        expectSameEncode(direction, msg, `${direction} encode seed ${SEED}`);
        const bytes = pack(msg);
        expectSameDecode(bytes, `seed ${SEED}`);
        // The reference reads what the one-pass encoder wrote as the message it was given.
        const encoded =
          direction === "to-handler"
            ? encodeToHandler(msg as Draft<ToHandlerMsg>)
            : encodeToFrontend(msg as Draft<ToFrontendMsg>);
        const decoded =
          direction === "to-handler"
            ? referenceDecodeToHandler(encoded)
            : referenceDecodeToFrontend(encoded);
        // Bins decode as views of the bytes given: Buffers here.
        const expected: Record<string, unknown> = { v: 2, ...msg };
        for (const [k, value] of Object.entries(expected)) {
          if (value instanceof Uint8Array) expected[k] = Buffer.from(value);
        }
        expect(isDeepStrictEqual(decoded, expected), `${direction} round trip`).toBe(true);
      }
    }
  });

  it("on random valid messages mutated, cut, extended and shuffled", () => {
    const random = prng(SEED);
    const int = (n: number) => Math.floor(random() * n);
    const messages = [
      ...fc.sample(toHandlerMessage, { numRuns: 600, seed: SEED + 1 }),
      ...fc.sample(toFrontendMessage, { numRuns: 600, seed: SEED + 2 }),
    ];
    for (const msg of messages) {
      const bytes = pack(msg);
      for (let k = 0; k < 3; k++) {
        const changed = Uint8Array.from(bytes);
        for (let n = 1 + int(3); n > 0; n--) changed[int(changed.length)] = int(256);
        expectSameDecode(changed, "mutated");
      }
      expectSameDecode(bytes.subarray(0, int(bytes.length)), "cut");
      expectSameDecode(Uint8Array.from([...bytes, int(256)]), "extended");
      const entries = Object.entries(msg);
      for (let i = entries.length - 1; i > 0; i--) {
        const j = int(i + 1);
        [entries[i], entries[j]] = [entries[j]!, entries[i]!];
      }
      expectSameDecode(pack(new Entries(entries)), "shuffled");
    }
  });

  /** Values of every shape, to put in any field. */
  const oddValues: unknown[] = [
    null,
    true,
    false,
    0,
    1,
    -1,
    99,
    100,
    999,
    1000,
    2 ** 32,
    2 ** 53 - 1,
    2 ** 53,
    2n ** 64n - 1n,
    -(2 ** 40),
    new Float(1.5),
    new Float(7),
    new Float(7, 32),
    "",
    "*",
    "a\0b",
    "http",
    "https",
    "x".repeat(129),
    "é".repeat(300),
    "x".repeat(65_537),
    new Uint8Array(0),
    new Uint8Array(16),
    new Uint8Array(65),
    [],
    [[]],
    [["a", "b"]],
    [["a", "b", "c"]],
    [["a", 1]],
    [[1, 2, 3]],
    [[1, 2, -3]],
    [[1, 2, new Float(3)]],
    [[1, 2]],
    [["a", new Float(1)]],
    { a: 1 },
    raw("cd0005"), // non-canonical widths
    raw("d3 0000000000000007"),
    raw("d3 ffffffffffffffff"),
    raw("cf 0020000000000000"),
    raw("d0 7f"),
    raw("d0 80"),
    raw("dc 0001 92 a1 61 a1 62"),
    raw("d9 04 68 74 74 70"),
    raw("a2 c3a9"),
  ];

  it("on messages with one field of any type, and odd v and kind", () => {
    const random = prng(SEED + 3);
    const int = (n: number) => Math.floor(random() * n);
    const messages = [
      ...fc.sample(toHandlerMessage, { numRuns: 400, seed: SEED + 4 }),
      ...fc.sample(toFrontendMessage, { numRuns: 400, seed: SEED + 5 }),
    ];
    const names = [
      "v",
      "kind",
      ...new Set(
        [...Object.values(ToHandlerSchema), ...Object.values(ToFrontendSchema)].flatMap((fields) =>
          fields.map((f) => f.name),
        ),
      ),
    ];
    for (const msg of messages) {
      for (let k = 0; k < 4; k++) {
        const name = names[int(names.length)]!;
        const odd = { ...msg, [name]: oddValues[int(oddValues.length)] };
        if (random() < 0.3) odd[names[int(names.length)]!] = oddValues[int(oddValues.length)];
        expectSameDecode(pack(odd), `odd ${name}`);
      }
    }
    for (const v of [1, 3, 2 ** 53, -1, "2", null, new Float(2), [2], { a: 1 }]) {
      expectSameDecode(pack({ v, kind: "hello", hid: "py1" }), `v ${String(v)}`);
      expectSameDecode(pack({ hid: 7, fid: "f", v, kind: "request" }), `v ${String(v)}`);
      expectSameDecode(pack({ kind: 7, fid: "é".repeat(200), v }), `v ${String(v)}`);
    }
    for (const kind of ["request", "head", "ws", "credit", "nope", "", 7, null, ["head"]]) {
      expectSameDecode(pack({ v: 2, kind }), `kind ${String(kind)}`);
    }
  });

  it("encode: on messages with one field of any type", () => {
    const random = prng(SEED + 6);
    const int = (n: number) => Math.floor(random() * n);
    const jsValues: unknown[] = [
      ...oddValues.filter(
        (v) =>
          !(v instanceof Float) && typeof v !== "bigint" && !(v instanceof Object && "bytes" in v),
      ),
      undefined,
      1.5,
      NaN,
      Infinity,
      -0,
      "G\ud800",
      "\udc00".repeat(3),
      "€".repeat(43),
      "€".repeat(42),
      "é".repeat(171),
      "x".repeat(513),
      [["a", "b"], "c"],
      [["a", "\ud800"]],
      [[1, 2, 2 ** 53]],
      new Array(1001).fill(["a", "b"]),
      Buffer.from("buffer"),
      new Uint16Array(4),
    ];
    for (const [direction, arbitrary] of [
      ["to-handler", toHandlerMessage],
      ["to-frontend", toFrontendMessage],
    ] as const) {
      for (const msg of fc.sample(arbitrary, { numRuns: 500, seed: SEED + 7 })) {
        const names = Object.keys(msg).filter((n) => n !== "v");
        for (let k = 0; k < 3; k++) {
          const name = names[int(names.length)]!;
          const odd = { ...msg, [name]: jsValues[int(jsValues.length)] };
          expectSameEncode(direction, odd, `${direction} encode ${name}`);
        }
      }
    }
  });

  it("encode and decode: every size boundary of ints, str, bin, arrays and maps", () => {
    const ints = [0, 127, 128, 255, 256, 65_535, 65_536, 2 ** 32 - 1, 2 ** 32, 2 ** 53 - 1];
    const sizes = [0, 15, 16, 31, 32, 255, 256, 65_535, 65_536];
    const messages: ["to-handler" | "to-frontend", Record<string, unknown>][] = [];
    for (const n of ints) {
      messages.push(["to-frontend", { kind: "claim", hid: "h", conn: n, req: n, token: n }]);
    }
    for (const n of sizes) {
      const text = "a".repeat(n);
      const bin = new Uint8Array(n).fill(7);
      const headers = Array.from({ length: Math.min(n, 1000) }, () => ["a", "b"]);
      // Arrays past 65,535 entries (array32) are in limits.test.ts; here up to array16.
      const to = Array.from({ length: Math.min(Math.max(n, 1), 256) }, (_, i) => [i, i, i]);
      messages.push(["to-frontend", { kind: "data", hid: "h", to: [[1, 2, 3]], data: bin }]);
      messages.push(["to-frontend", { kind: "head", hid: "h", to, status: 200, headers }]);
      messages.push([
        "to-frontend",
        { kind: "error", hid: "h", to: [[1, 2, 3]], code: text, message: "é" },
      ]);
      messages.push(["to-handler", { kind: "cancel", fid: "f", conn: 1, req: 2, reason: text }]);
    }
    for (const [direction, msg] of messages) {
      expectSameEncode(direction, msg, `${direction} ${String(msg.kind)}`);
      const bytes =
        direction === "to-handler"
          ? encodeToHandler(msg as Draft<ToHandlerMsg>)
          : encodeToFrontend(msg as Draft<ToFrontendMsg>);
      expectSameDecode(bytes, `${direction} ${String(msg.kind)}`);
    }
  });

  it("encode: large messages that outgrow the write buffer, then small ones", () => {
    const big = new Uint8Array(300_000).map((_, i) => i & 0xff);
    const head = {
      kind: "head",
      hid: "h",
      to: Array.from({ length: 2000 }, (_, i) => [i, i * 7, 2 ** 40 + i]),
      status: 200,
      headers: Array.from({ length: 500 }, (_, i) => [`x-h${i}`, "v".repeat(i)]),
      body: big,
    };
    const bytes = encodeToFrontend(head as Draft<ToFrontendMsg>);
    expectSameEncode("to-frontend", head, "big head");
    expect(isDeepStrictEqual(decodeToFrontend(bytes), referenceDecodeToFrontend(bytes))).toBe(true);
    const small = { kind: "end", hid: "h", to: [[1, 2, 3]] };
    const kept = Buffer.from(bytes);
    for (let i = 0; i < 20_000; i++) encodeToFrontend(small as Draft<ToFrontendMsg>);
    expect(Buffer.compare(bytes, kept)).toBe(0); // bytes handed out are never written again
  });
});
