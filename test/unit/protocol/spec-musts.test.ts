/**
 * Every MUST / MUST NOT of protocol/SPEC.md is checked by a vector or a test: each sentence that
 * holds one is listed in COVERAGE with the vectors (by name) and test files (with a test name,
 * or another string, the file must contain) that check it. A new MUST without an entry, an entry
 * whose sentence is gone, a vector or file that does not exist, all fail here.
 */
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const SPEC = readFileSync(ROOT + "protocol/SPEC.md", "utf8");

interface Coverage {
  /** A part of the sentence, unique among the MUST sentences. */
  readonly must: string;
  /** Vector names in protocol/vectors/ferry-valid.json or ferry-invalid.json. */
  readonly vectors?: readonly string[];
  /**
   * Test file (from the repository root) -> a test name (or other text) it contains. A `#suffix`
   * on the key lets one file be named twice.
   */
  readonly tests?: Readonly<Record<string, string>>;
}

const COVERAGE: readonly Coverage[] = [
  {
    must: "A handler MUST raise it (`ZMQ_SNDHWM` 0 = unlimited, or at least 100,000)",
    tests: {
      "test/integration/handler/batches.test.ts": "a high send HWM on PUB",
      "test/python/test_protocol_v2.py": "def test_size_limits_and_high_water_marks",
    },
  },
  {
    must: "Senders MUST NOT wait to fill a batch.",
    tests: {
      "test/unit/protocol/spec-must-cases.test.ts": "the frontend sends a lone request at once",
      "test/unit/protocol/spec-must-cases.test.ts#sdk": "publishes a fast reply in the same turn",
    },
  },
  {
    must: "A receiver MUST compare the topic frame **exactly** with its id or `*`",
    tests: {
      "test/unit/protocol/spec-must-cases.test.ts": "its fid is only a prefix of",
      "test/unit/protocol/spec-must-cases.test.ts#sdk": "its hid is only a prefix of",
      "test/unit/handler/connection.test.ts": "ignores events for another handler's topic",
    },
  },
  {
    must: "they MUST NOT be empty, MUST NOT be `*`, MUST NOT contain NUL",
    vectors: [
      "hid empty",
      "hid is the broadcast topic *",
      "hid with NUL",
      "fid empty",
      "fid is the broadcast topic *",
      "fid with NUL",
      "hid of 43 three-byte characters (129 bytes)",
      "fid of 129 bytes (past limit)",
    ],
    tests: { "test/conformance/ferry-vectors.test.ts": "ferry-invalid.json" },
  },
  {
    must: "Decoding rules (what a receiver MUST do)",
    vectors: [
      "truncated request (last byte missing)",
      "trailing bytes after the map",
      "invalid UTF-8 in a str (method)",
      "UTF-8 encoded surrogate in an unknown field",
      "timestamp extension in an unknown field",
      "reserved byte 0xc1",
      "integer map key",
      "unknown field nested 40 deep (past limit)",
      "not a map (array)",
      "version 3",
      "unknown kind",
      "request sent to a frontend (wrong direction)",
      "required field nil",
      "conn as float 7.0",
      "conn 2^53 (past the largest id)",
      "capacity 0",
    ],
    tests: {
      "test/conformance/ferry-vectors.test.ts": "ferry-invalid.json",
      "test/conformance/python-vectors.test.ts": "decode_vectors.py",
      "test/unit/protocol/fuzz.test.ts": "describe(",
    },
  },
  {
    must: 'a receiver MUST NOT let "the last one win"',
    vectors: ["duplicate key conn"],
    tests: { "test/conformance/ferry-vectors.test.ts": "ferry-invalid.json" },
  },
  {
    must: "Handlers MUST NOT depend on the exact set.",
    tests: {
      "test/unit/protocol/spec-must-cases.test.ts": "an unknown reason still cancels",
    },
  },
  {
    must: "Every reply MUST carry the `hid` of the handler that holds the request",
    tests: {
      "test/unit/frontend/ferry-group.test.ts": "first claim wins; the loser's reply is dropped",
    },
  },
  {
    must: "A handler MUST work without them (whole inline bodies, no window)",
    tests: {
      "test/unit/handler/connection.test.ts": "answers a fast request with ONE head message",
      "test/python/test_environ.py": "def test_basic_request",
    },
  },
  {
    must: "it MUST NOT send more.",
    tests: {
      "test/unit/handler/connection.test.ts": "holds back body bytes beyond the request's window",
      "test/python/test_response.py": "def test_flow_control_waits_for_credit",
      "test/unit/frontend/ferry-window.test.ts": "a head carrying more than the window",
    },
  },
  {
    must: "which MUST be one the client offered",
    tests: {
      "test/integration/websocket/raw.test.ts":
        "answers 502 when the handler picks a subprotocol the client did not offer",
    },
  },
  {
    must: "After `goodbye` it MUST keep\n  sending `heartbeat` until it exits",
    tests: {
      "test/unit/protocol/spec-must-cases.test.ts": "keep sending heartbeats after goodbye",
      "test/python/test_protocol_v2.py":
        "def test_a_draining_worker_greets_a_new_frontend_with_a_heartbeat_not_a_hello",
    },
  },
  {
    must: "So a draining handler MUST NOT send\n  `hello`",
    tests: {
      "test/unit/handler/protocol-v2.test.ts": "while it drains with a heartbeat, never a hello",
      "test/python/test_protocol_v2.py":
        "def test_a_draining_worker_greets_a_new_frontend_with_a_heartbeat_not_a_hello",
      "test/unit/protocol/spec-must-cases.test.ts": "and never a hello",
    },
  },
  {
    must: "receivers MUST ignore unknown fields",
    vectors: [
      "unknown fields are ignored",
      "__proto__ key is an ordinary unknown field",
      "negative fixint in an unknown field",
    ],
    tests: { "test/conformance/ferry-vectors.test.ts": "ferry-valid.json" },
  },
];

/** One line per sentence: no code blocks, paragraphs and list items joined, split at full stops. */
function sentences(markdown: string): string[] {
  const text = markdown.replace(/^```[^]*?^```$/gm, "");
  const blocks: string[] = [];
  let current: string[] = [];
  const flush = () => {
    if (current.length > 0) blocks.push(current.join(" "));
    current = [];
  };
  for (const line of text.split("\n")) {
    const trimmed = line.trim();
    // A blank line, a heading, a table row or a list item starts a block of its own.
    if (trimmed === "" || /^(#|\||[-*] |\d+\. )/.test(trimmed)) flush();
    if (trimmed !== "") current.push(trimmed);
    if (trimmed.startsWith("#") || trimmed.startsWith("|")) flush();
  }
  flush();
  return blocks.flatMap((b) => b.split(/(?<=[.!?:;])\s+(?=[A-Z*`(])/));
}

const normalize = (s: string): string => s.replace(/\s+/g, " ");

/** Sentences of SPEC.md with MUST in them, apart from the RFC 2119 key-words sentence. */
const MUSTS = sentences(SPEC).filter(
  (s) => /\bMUST\b/.test(s) && !s.startsWith("The key words MUST"),
);

function vectorNames(): Set<string> {
  const names = new Set<string>();
  for (const f of ["ferry-valid.json", "ferry-invalid.json"]) {
    const list = JSON.parse(readFileSync(ROOT + "protocol/vectors/" + f, "utf8")) as {
      name: string;
    }[];
    for (const v of list) names.add(v.name);
  }
  return names;
}

describe("every MUST of SPEC.md has a vector or a test", () => {
  it("finds the MUSTs (the extraction works)", () => {
    expect(MUSTS.length).toBeGreaterThanOrEqual(COVERAGE.length);
  });

  it.each(MUSTS)("%s", (sentence) => {
    const entries = COVERAGE.filter((c) => normalize(sentence).includes(normalize(c.must)));
    expect(entries, `no COVERAGE entry for: ${sentence}`).toHaveLength(1);
  });

  it("each entry names a MUST sentence of SPEC.md, once", () => {
    for (const c of COVERAGE) {
      const hits = MUSTS.filter((s) => normalize(s).includes(normalize(c.must)));
      expect(hits, c.must).toHaveLength(1);
    }
  });

  it("each entry is checked by something that exists", () => {
    const names = vectorNames();
    for (const c of COVERAGE) {
      expect((c.vectors?.length ?? 0) + Object.keys(c.tests ?? {}).length, c.must).toBeGreaterThan(
        0,
      );
      for (const v of c.vectors ?? []) expect(names.has(v), `vector "${v}"`).toBe(true);
      for (const [key, text] of Object.entries(c.tests ?? {})) {
        const file = key.replace(/#.*$/, "");
        expect(existsSync(ROOT + file), file).toBe(true);
        expect(readFileSync(ROOT + file, "utf8"), `${file} holds "${text}"`).toContain(text);
      }
    }
  });
});
