import fc from 'fast-check';

/**
 * A JSON document as a tree, serialized by hand so objects may carry any key (`__proto__`,
 * `constructor`, duplicates) and numbers any spelling — what a hostile client can send.
 */
export type Json =
  | { kind: 'raw'; text: string }
  /** `char` repeated to `length` characters (a huge string, printed small when a case fails). */
  | { kind: 'huge'; char: string; length: number }
  /** Arrays or objects nested `depth` levels deep. */
  | { kind: 'deep'; depth: number; arrays: boolean }
  | { kind: 'string'; value: string }
  | { kind: 'array'; items: Json[] }
  | { kind: 'object'; entries: Array<[string, Json]> };

export function serialize(node: Json): string {
  switch (node.kind) {
    case 'raw':
      return node.text;
    case 'huge':
      return JSON.stringify(node.char.repeat(Math.ceil(node.length / node.char.length)));
    case 'deep':
      return node.arrays
        ? `${'['.repeat(node.depth)}${']'.repeat(node.depth)}`
        : `${'{"a":'.repeat(node.depth)}1${'}'.repeat(node.depth)}`;
    case 'string':
      return JSON.stringify(node.value);
    case 'array':
      return `[${node.items.map(serialize).join(',')}]`;
    case 'object':
      return `{${node.entries.map(([k, v]) => `${JSON.stringify(k)}:${serialize(v)}`).join(',')}}`;
  }
}

/** A plain JS value as a tree (the base of mutations). */
export function fromValue(value: unknown): Json {
  if (typeof value === 'string') {
    return { kind: 'string', value };
  }
  if (Array.isArray(value)) {
    return { kind: 'array', items: value.map(fromValue) };
  }
  if (typeof value === 'object' && value !== null) {
    return {
      kind: 'object',
      entries: Object.entries(value).map(([k, v]) => [k, fromValue(v)] as [string, Json]),
    };
  }
  return { kind: 'raw', text: JSON.stringify(value) ?? 'null' };
}

/** Replaces (or adds) the node at a dotted path; numeric segments index arrays. */
export function setPath(root: Json, path: string[], value: Json): Json {
  if (path.length === 0) {
    return value;
  }
  const [head, ...rest] = path;
  if (root.kind === 'array' && /^\d+$/.test(head)) {
    const items = [...root.items];
    const index = Number(head);
    items[index] = setPath(items[index] ?? { kind: 'raw', text: 'null' }, rest, value);
    return { kind: 'array', items: items.map((i) => i ?? { kind: 'raw', text: 'null' }) };
  }
  const entries: Array<[string, Json]> = root.kind === 'object' ? [...root.entries] : [];
  const at = entries.findIndex(([k]) => k === head);
  const current: Json = at >= 0 ? entries[at][1] : { kind: 'object', entries: [] };
  const next = setPath(current, rest, value);
  if (at >= 0) {
    entries[at] = [head, next];
  } else {
    entries.push([head, next]);
  }
  return { kind: 'object', entries };
}

/** Keys that reach an object's prototype chain if merged carelessly. */
export const PROTOTYPE_KEYS = ['__proto__', 'constructor', 'prototype'] as const;

const TRICKY_STRINGS = [
  '',
  ' ',
  '\r\n',
  '\u0000',
  'a\r\nBcc: victim@example.test',
  '\u2028\u2029',
  '\ud800',
  '\udfff\ud800',
  '%00',
  '%0d%0aBcc:x@example.test',
  '${7*7}{{7*7}}',
  '<script>alert(1)</script>',
  "'; DROP TABLE email_messages; --",
  '__proto__',
  'constructor',
  'toString',
  'hasOwnProperty',
  '\u202eevil',
  '😀'.repeat(50),
  'A'.repeat(999),
  'x@example.test',
  '"Name" <x@example.test>',
  'x@[127.0.0.1]',
  '=?utf-8?B?SGVsbG8=?=',
  '********',
];

const RAW_NUMBERS = [
  '0',
  '-0',
  '1e309',
  '-1e309',
  '1e-400',
  '123456789012345678901234567890',
  '0.1',
  '-1',
  '65536',
  '25',
  '465',
  '4294967296',
];

/** Strings: short ASCII, any unicode (lone surrogates included), tricky constants. */
export const hostileString: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.string({ maxLength: 40 }) },
  { weight: 3, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'grapheme', maxLength: 20 }) },
  { weight: 4, arbitrary: fc.constantFrom(...TRICKY_STRINGS) },
);

/** 10 k to 1.5 M characters: past MAX_MESSAGE_BYTES, some past the body limit. */
const huge: fc.Arbitrary<Json> = fc
  .tuple(
    fc.integer({ min: 10_000, max: 1_500_000 }),
    fc.constantFrom('x', 'é', '😀', '\n', '\u0000'),
  )
  .map(([length, char]): Json => ({ kind: 'huge', char, length }));

const leaf: fc.Arbitrary<Json> = fc.oneof(
  { weight: 12, arbitrary: hostileString.map((value): Json => ({ kind: 'string', value })) },
  { weight: 1, arbitrary: huge },
  fc
    .constantFrom(...RAW_NUMBERS, 'true', 'false', 'null')
    .map((text): Json => ({ kind: 'raw', text })),
  fc.double().map((d): Json => ({ kind: 'raw', text: JSON.stringify(d) })),
  fc.integer().map((i): Json => ({ kind: 'raw', text: String(i) })),
);

const key: fc.Arbitrary<string> = fc.oneof(
  { weight: 2, arbitrary: fc.constantFrom(...PROTOTYPE_KEYS) },
  { weight: 3, arbitrary: fc.string({ maxLength: 12 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 8 }) },
  {
    weight: 3,
    arbitrary: fc.constantFrom(
      'to',
      'subject',
      'text',
      'type',
      'enabled',
      'messages',
      'email',
      'name',
    ),
  },
);

/** Deep nesting (hundreds to tens of thousands of levels) of arrays or objects. */
const deep: fc.Arbitrary<Json> = fc
  .tuple(fc.integer({ min: 100, max: 20_000 }), fc.boolean())
  .map(([depth, arrays]): Json => ({
    kind: 'raw',
    text: arrays
      ? `${'['.repeat(depth)}${']'.repeat(depth)}`
      : `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`,
  }));

/** Any JSON value of any shape, hostile strings and keys included. */
export const hostileJson: fc.Arbitrary<Json> = fc.letrec<{ value: Json }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    { weight: 5, arbitrary: leaf },
    { weight: 1, arbitrary: deep },
    {
      weight: 2,
      arbitrary: fc
        .array(tie('value'), { maxLength: 5 })
        .map((items): Json => ({ kind: 'array', items })),
    },
    {
      weight: 3,
      arbitrary: fc
        .array(fc.tuple(key, tie('value')), { maxLength: 6 })
        .map((entries): Json => ({ kind: 'object', entries })),
    },
  ),
})).value;

/** A valid document with 1-3 paths replaced by hostile values (or hostile keys added). */
export function mutationsOf(base: unknown, paths: readonly string[]): fc.Arbitrary<Json> {
  const path = fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom(...paths) },
    { weight: 1, arbitrary: fc.constantFrom(...PROTOTYPE_KEYS) },
    {
      weight: 1,
      arbitrary: fc
        .tuple(fc.constantFrom(...paths), fc.constantFrom(...PROTOTYPE_KEYS))
        .map(([p, k]) => `${p}.${k}`),
    },
  );
  return fc
    .array(fc.tuple(path, hostileJson), { minLength: 1, maxLength: 3 })
    .map((changes) =>
      changes.reduce((doc, [p, value]) => setPath(doc, p.split('.'), value), fromValue(base)),
    );
}

/** The content types a request may claim; most fuzz requests claim JSON. */
export const contentType: fc.Arbitrary<string> = fc.oneof(
  { weight: 12, arbitrary: fc.constant('application/json') },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      'text/plain',
      'application/x-www-form-urlencoded',
      'application/json; charset=utf-16',
      'application/json; charset=latin1',
      'multipart/form-data; boundary=x',
      'application/xml',
      'application/json, text/plain',
    ),
  },
);
