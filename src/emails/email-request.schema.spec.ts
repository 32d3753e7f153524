import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { createRequestAjv, EMAIL_REQUEST_SCHEMA } from './email-request.schema';
import { validateEmailRequest } from './email-request.validator';

/** The send request schema as the committed document serves it (openapi.e2e-spec keeps it current). */
function documentSchema(): object {
  const document = JSON.parse(
    readFileSync(join(__dirname, '..', '..', 'openapi.json'), 'utf8'),
  ) as { components: { schemas: Record<string, object> } };
  return document.components.schemas.EmailRequest;
}

const VALID_ADDRESSES = [
  'ada@example.com',
  'Ada Lovelace <ada@example.com>',
  '"Lovelace, Ada" <ada@example.com>',
  'ops@例子.中国',
  'a@example.xn--fiqs8s',
  '用户@例子.中国',
];
const INVALID_ADDRESSES = [
  'nope',
  'a@',
  'a b@example.com',
  'a@example.com, b@example.com',
  'team: a@example.com;',
  'a@exa\r\nmple.com',
  `${'a'.repeat(250)}@example.com`,
  '',
];

const address = fc.oneof(
  fc.constantFrom(...VALID_ADDRESSES),
  fc.record(
    { name: fc.string({ maxLength: 20 }), email: fc.constantFrom('x@example.org', 'y@例子.中国') },
    { requiredKeys: ['email'] },
  ),
);
const list = fc.oneof(address, fc.array(address, { minLength: 1, maxLength: 4 }));
const line = fc
  .string({ minLength: 1, maxLength: 40 })
  .filter((s) => /^(?=.*\S)[^\r\n\0]*$/.test(s));
const base64 = fc.uint8Array({ maxLength: 30 }).map((b) => Buffer.from(b).toString('base64'));

const validBody = fc.record(
  {
    from: address,
    to: list,
    cc: list,
    bcc: list,
    replyTo: address,
    subject: line,
    text: fc.string({ minLength: 1 }),
    html: fc.string(),
    attachments: fc.array(
      fc.record(
        {
          filename: line,
          content: base64,
          contentType: fc.constantFrom('application/pdf', 'image/png', 'text/plain'),
          cid: fc.constantFrom('logo@example.com', 'img1'),
        },
        { requiredKeys: ['filename', 'content'] },
      ),
      { maxLength: 3 },
    ),
    headers: fc.dictionary(
      fc.constantFrom('X-Campaign', 'list-unsubscribe', 'References', 'x-priority'),
      fc.string({ maxLength: 30 }).filter((s) => !/[\r\n\0]/.test(s)),
    ),
    tags: fc.array(fc.stringMatching(/^[A-Za-z0-9_.:-]{1,10}$/), { maxLength: 5 }),
    metadata: fc.dictionary(
      fc.stringMatching(/^[a-z]{1,8}$/),
      fc.oneof(fc.string({ maxLength: 10 }), fc.integer(), fc.boolean()),
      { maxKeys: 5 },
    ),
    sensitive: fc.boolean(),
  },
  { requiredKeys: ['to', 'subject', 'text'] },
);

/** A field of the request and values that break it (or not: some mutations stay valid). */
const mutation = fc.oneof(
  fc.record({
    field: fc.constantFrom('to', 'cc', 'from', 'replyTo'),
    value: fc.constantFrom(...INVALID_ADDRESSES),
  }),
  fc.record({
    field: fc.constantFrom(
      'from',
      'to',
      'cc',
      'bcc',
      'replyTo',
      'subject',
      'text',
      'html',
      'attachments',
      'headers',
      'tags',
      'metadata',
      'sensitive',
      'priority',
      'template',
    ),
    value: fc.jsonValue({ maxDepth: 2 }),
  }),
  fc.record({
    field: fc.constantFrom(
      'subject',
      'headers.X-Id',
      'headers.From',
      'headers.X-Mailgate-Id',
      'attachments.0.filename',
      'to.0.name',
      'tags.0',
    ),
    value: fc.oneof(
      fc.constantFrom('', ' ', 'a\r\nBcc: x@example.com', 'x'.repeat(1000), 'ok'),
      fc.string(),
    ),
  }),
  fc.record({
    field: fc.constant('attachments'),
    value: fc.constantFrom(
      [{ filename: 'a', content: 'not base64!' }],
      [{ filename: 'a' }],
      [{ filename: 'a', content: 'YQ==', size: 1 }],
    ),
  }),
  fc.record({
    field: fc.constant('metadata'),
    value: fc.constantFrom(
      JSON.parse('{"__proto__":"x"}') as object,
      { constructor: 1 },
      { '': 1 },
      { k: null },
      { k: [1] },
    ),
  }),
  fc.record({
    field: fc.constantFrom('subject', 'text', 'html', 'to'),
    value: fc.constant(undefined),
  }),
);

function withMutation(body: Record<string, unknown>, field: string, value: unknown): unknown {
  const copy = JSON.parse(JSON.stringify(body)) as Record<string, unknown>;
  const path = field.split('.');
  let node: Record<string, unknown> = copy;
  for (const part of path.slice(0, -1)) {
    if (typeof node[part] !== 'object' || node[part] === null) {
      node[part] = /^\d+$/.test(path[path.indexOf(part) + 1] ?? '')
        ? [{ filename: 'a', content: 'YQ==' }]
        : {};
    }
    node = node[part] as Record<string, unknown>;
  }
  const last = path[path.length - 1];
  if (value === undefined) {
    delete node[last];
  } else {
    node[last] = value;
  }
  return copy;
}

describe('the send request schema', () => {
  const byDocument = createRequestAjv(true).compile(documentSchema());
  const verdict = (body: unknown): { validator: boolean; document: boolean } => ({
    validator: validateEmailRequest(body).errors.length === 0,
    document: byDocument(body),
  });

  it('is the object the OpenAPI document shows', () => {
    expect(documentSchema()).toEqual(JSON.parse(JSON.stringify(EMAIL_REQUEST_SCHEMA)));
  });

  it('gives valid bodies the same verdict in the validator and in ajv over openapi.json', () => {
    fc.assert(
      fc.property(validBody, (body) => {
        expect(verdict(body)).toEqual({ validator: true, document: true });
      }),
      { numRuns: 300 },
    );
  });

  it('gives mutated bodies the same verdict in the validator and in ajv over openapi.json', () => {
    let refused = 0;
    fc.assert(
      fc.property(
        validBody,
        fc.array(mutation, { minLength: 1, maxLength: 3 }),
        (body, changes) => {
          const mutated = changes.reduce<unknown>(
            (b, { field, value }) => withMutation(b as Record<string, unknown>, field, value),
            body,
          );
          const v = verdict(mutated);
          refused += v.validator ? 0 : 1;
          expect(v.document).toBe(v.validator);
        },
      ),
      { numRuns: 600 },
    );
    // The mutations must mostly break the body, or the property says little.
    expect(refused).toBeGreaterThan(300);
  });

  it('refuses what is not an object in both', () => {
    for (const body of [null, 'x', 1, [], true]) {
      expect(verdict(body)).toEqual({ validator: false, document: false });
    }
  });
});
