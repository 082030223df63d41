/** SPEC.md, the code and the vectors agree: every code, kind and field is documented. */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  decodeToFrontend,
  decodeToHandler,
  Kind,
  ProtocolErrorCode,
  ToFrontendSchema,
  ToHandlerSchema,
  WireErrorStatus,
} from "../../../protocol/index.js";

const spec = readFileSync(new URL("../../../protocol/SPEC.md", import.meta.url), "utf8");

/** The text from a `### \`kind\`` heading (optionally with a direction note) to the next heading. */
function section(kind: string, direction?: string): string {
  const heading = spec
    .split("\n")
    .findIndex(
      (l) =>
        l.startsWith(`### \`${kind}\``) &&
        (!direction || l.includes(direction) || !l.includes("(")),
    );
  expect(heading, `section for ${kind}`).toBeGreaterThan(-1);
  const rest = spec.split("\n").slice(heading + 1);
  const end = rest.findIndex((l) => l.startsWith("#"));
  return rest.slice(0, end).join("\n");
}

describe("SPEC.md", () => {
  it("lists every ProtocolError code", () => {
    for (const code of Object.values(ProtocolErrorCode)) expect(spec).toContain(`\`${code}\``);
  });

  it("lists every wire error code with its status", () => {
    for (const [code, status] of Object.entries(WireErrorStatus)) {
      expect(spec).toMatch(new RegExp(`\\| \`${code}\` \\| ${status}`));
    }
  });

  it("documents every kind and every field of it", () => {
    const check = (schema: typeof ToHandlerSchema, direction: string) => {
      for (const [kind, fields] of Object.entries(schema)) {
        const name = kind === Kind.Heartbeat ? "hello` and `heartbeat" : kind;
        const text = section(name, direction);
        const shared =
          kind === "head" ||
          kind === "data" ||
          kind === "end" ||
          kind === "close" ||
          kind === "error" ||
          (kind === "ws" && direction === "to a frontend");
        for (const f of fields) {
          if (shared && (f.name === "hid" || f.name === "to")) continue; // the common reply table
          if (kind === "end") continue; // "Fields: hid, to only"
          expect(text, `${kind}.${f.name}`).toContain(`\`${f.name}\``);
          const row = new RegExp(`^\\| \`${f.name}\` \\| (\\w+) \\| (yes|no) \\|`, "m").exec(text);
          if (row)
            expect([row[1], row[2]], `${kind}.${f.name} type`).toEqual([
              f.type,
              f.required ? "yes" : "no",
            ]);
        }
      }
    };
    check(ToHandlerSchema, "to a handler");
    check(ToFrontendSchema, "to a frontend");
  });

  it("hex examples decode", () => {
    const blocks = [...spec.matchAll(/```\n((?:[0-9a-f]{2}[ \n]+)+)```/g)].map((m) => m[1]!);
    expect(blocks.length).toBeGreaterThanOrEqual(4);
    // Each hex block holds exactly one message.
    for (const m of blocks) {
      const bytes = Buffer.from(m.replace(/\s+/g, ""), "hex");
      let ok = false;
      for (const decode of [decodeToFrontend, decodeToHandler]) {
        try {
          decode(bytes);
          ok = true;
        } catch {
          // the other direction
        }
      }
      expect(ok, m.slice(0, 60)).toBe(true);
    }
  });
});
