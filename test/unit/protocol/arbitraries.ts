/** fast-check arbitraries for every message kind, built from the schema table itself. */
import fc from "fast-check";
import {
  ToFrontendSchema,
  ToHandlerSchema,
  type FieldSpec,
  type FieldType,
} from "../../../protocol/index.js";

const text = fc.string({ unit: "binary", maxLength: 40 });
const id = fc.oneof(
  fc.nat(),
  fc.maxSafeNat(),
  fc.constantFrom(0xffffffff, 2 ** 32, Number.MAX_SAFE_INTEGER),
);
const peerId = fc
  .string({ unit: "binary", minLength: 1, maxLength: 30 })
  .filter((s) => s !== "*" && !s.includes("\0"));

const byType: Record<FieldType, fc.Arbitrary<unknown>> = {
  str: text,
  hid: peerId,
  id,
  uint: id,
  status: fc.integer({ min: 100, max: 999 }),
  bin: fc.uint8Array({ maxLength: 300 }),
  bool: fc.boolean(),
  scheme: fc.constantFrom("http", "https"),
  headers: fc.array(fc.tuple(text, text), { maxLength: 20 }),
  targets: fc.array(fc.tuple(id, id, id), { minLength: 1, maxLength: 10 }),
  secret: fc.uint8Array({ minLength: 16, maxLength: 64 }),
  interval: fc.integer({ min: 100, max: 60_000 }),
  capacity: fc.integer({ min: 1, max: 65_536 }),
  batch: fc.integer({ min: 1, max: 1_024 }),
  reason: fc.string({ unit: "binary", maxLength: 40 }),
};

function messageOf(
  kind: string,
  fields: readonly FieldSpec[],
): fc.Arbitrary<Record<string, unknown>> {
  const parts = fields.map((f) =>
    f.required ? byType[f.type] : fc.option(byType[f.type], { nil: undefined }),
  );
  return fc.tuple(...parts).map((values) => {
    const msg: Record<string, unknown> = { v: 2, kind };
    fields.forEach((f, i) => {
      if (values[i] !== undefined) msg[f.name] = values[i];
    });
    return msg;
  });
}

function anyOf(schema: Readonly<Record<string, readonly FieldSpec[]>>) {
  return fc.oneof(...Object.entries(schema).map(([kind, fields]) => messageOf(kind, fields)));
}

/** A valid message a handler receives (every kind, every optional field present or not). */
export const toHandlerMessage = anyOf(ToHandlerSchema);
/** A valid message a frontend receives. */
export const toFrontendMessage = anyOf(ToFrontendSchema);
