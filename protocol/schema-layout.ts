/**
 * The schema tables (schema.ts) turned into what the one-pass codec needs at run time: every key
 * of the protocol numbered once, each kind's fields with their key bytes, and the map from a key
 * number to a field of the kind. Built once at load; nothing here is per message.
 */
import {
  fieldPicker,
  messageBuilder,
  type FieldPicker,
  type MessageBuilder,
} from "./message-builder.js";
import { ToFrontendSchema, ToHandlerSchema, type FieldSpec, type FieldType } from "./schema.js";

/** Key numbers of the two keys every message has. */
export const KEY_V = 0;
export const KEY_KIND = 1;

/** Every key name of both directions (v, kind, then every field name), numbered from 0. */
export const keyNumbers: ReadonlyMap<string, number> = (() => {
  const numbers = new Map<string, number>([
    ["v", KEY_V],
    ["kind", KEY_KIND],
  ]);
  for (const schema of [ToHandlerSchema, ToFrontendSchema])
    for (const fields of Object.values(schema))
      for (const f of fields) if (!numbers.has(f.name)) numbers.set(f.name, numbers.size);
  return numbers;
})();
export const KEY_COUNT = keyNumbers.size;

/**
 * Field types as small integers: a `switch` over them is a jump table, where one over the type
 * names compares strings one case after another (on every field of every message).
 */
export const TypeCode = {
  str: 0,
  hid: 1,
  id: 2,
  uint: 3,
  status: 4,
  bin: 5,
  bool: 6,
  scheme: 7,
  headers: 8,
  targets: 9,
  secret: 10,
  interval: 11,
  capacity: 12,
  batch: 13,
  reason: 14,
} as const satisfies Record<FieldType, number>;

export interface FieldLayout {
  readonly name: string;
  readonly type: FieldType;
  /** TypeCode of `type`. */
  readonly code: number;
  readonly required: boolean;
  /** The key's msgpack str header and UTF-8 bytes (field names are short ASCII: a fixstr). */
  readonly key: Uint8Array;
  /** The key's number in keyNumbers. */
  readonly keyNumber: number;
}

export interface KindLayout {
  readonly kind: string;
  readonly fields: readonly FieldLayout[];
  /** For each key number, the index of that field in `fields`, or -1 if the kind has none. */
  readonly fieldOfKey: Int16Array;
  /** Map header bytes an encoder writes: 1 (fixmap) or 3 (map16), or 0 when it depends. */
  readonly mapHeaderSize: number;
  /** Makes a decoded message of this kind from its field values. */
  readonly build: MessageBuilder;
  /** Reads the fields of a message of this kind to encode. */
  readonly pick: FieldPicker;
}

export interface DirectionLayout {
  readonly kinds: ReadonlyMap<string, KindLayout>;
  /** Kinds of the other direction, to tell ERR_WRONG_DIRECTION from ERR_UNKNOWN_KIND. */
  readonly otherKinds: ReadonlySet<string>;
}

function keyBytes(name: string): Uint8Array {
  const text = Buffer.from(name, "utf8");
  if (text.length > 31) throw new Error(`field name ${name} is too long for a fixstr`);
  return Uint8Array.from([0xa0 | text.length, ...text]);
}

function kindLayout(kind: string, specs: readonly FieldSpec[]): KindLayout {
  const fieldOfKey = new Int16Array(KEY_COUNT).fill(-1);
  const fields = specs.map((f, i): FieldLayout => {
    const keyNumber = keyNumbers.get(f.name)!;
    fieldOfKey[keyNumber] = i;
    const code = TypeCode[f.type];
    return {
      name: f.name,
      type: f.type,
      code,
      required: f.required,
      key: keyBytes(f.name),
      keyNumber,
    };
  });
  // v and kind, then the fields: the fewest and most entries a message of this kind has.
  const least = 2 + specs.filter((f) => f.required).length;
  const most = 2 + specs.length;
  const mapHeaderSize = most < 16 ? 1 : least >= 16 && most < 0x10000 ? 3 : 0;
  return {
    kind,
    fields,
    fieldOfKey,
    mapHeaderSize,
    build: messageBuilder(specs),
    pick: fieldPicker(specs),
  };
}

function directionLayout(
  own: Readonly<Record<string, readonly FieldSpec[]>>,
  other: Readonly<Record<string, readonly FieldSpec[]>>,
): DirectionLayout {
  const kinds = new Map<string, KindLayout>();
  for (const [kind, specs] of Object.entries(own)) kinds.set(kind, kindLayout(kind, specs));
  return { kinds, otherKinds: new Set(Object.keys(other)) };
}

export const ToHandlerLayout = directionLayout(ToHandlerSchema, ToFrontendSchema);
export const ToFrontendLayout = directionLayout(ToFrontendSchema, ToHandlerSchema);
