/**
 * Builds decoded messages and picks the fields of messages to encode, with one function of each
 * per kind, generated once from its schema. A builder puts the required fields up to the first
 * optional one in one object literal and sets the rest one by one, so every message of a kind
 * shares one shape and its keys come in schema order (as the reference decoder's do). A picker
 * reads each field by name. Setting or getting keys from a list of names instead costs a slow
 * keyed access per field: about a third of decoding a request, a quarter of encoding one.
 * Field names are checked to be plain identifiers before use.
 */
import type { FieldSpec } from "./schema.js";

/** `values[i]` is field i's value, or undefined when absent (only optional fields can be). */
export type MessageBuilder = (
  version: number,
  kind: string,
  values: readonly unknown[],
) => Record<string, unknown>;

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Copies field i of `msg` into `values[i]`, for every field of the kind. */
export type FieldPicker = (msg: object, values: unknown[]) => void;

function checkNames(fields: readonly FieldSpec[]): void {
  for (const f of fields) {
    if (!IDENTIFIER.test(f.name)) throw new Error(`field name ${f.name} is not an identifier`);
  }
}

export function fieldPicker(fields: readonly FieldSpec[]): FieldPicker {
  checkNames(fields);
  const lines = fields.map((f, i) => `values[${i}] = msg.${f.name};`);
  return new Function("msg", "values", lines.join("\n")) as FieldPicker;
}

export function messageBuilder(fields: readonly FieldSpec[]): MessageBuilder {
  checkNames(fields);
  let literal = 0;
  while (literal < fields.length && fields[literal]!.required) literal++;
  const lines = [
    `const out = { v: version, kind: kind${fields
      .slice(0, literal)
      .map((f, i) => `, ${f.name}: values[${i}]`)
      .join("")} };`,
  ];
  for (let i = literal; i < fields.length; i++) {
    const f = fields[i]!;
    lines.push(
      f.required
        ? `out.${f.name} = values[${i}];`
        : `if (values[${i}] !== undefined) out.${f.name} = values[${i}];`,
    );
  }
  lines.push("return out;");
  return new Function("version", "kind", "values", lines.join("\n")) as MessageBuilder;
}
