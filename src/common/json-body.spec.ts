import { ApiCode } from './api-code.enum';
import { ValidationException } from './app.exception';
import { checkJsonBody, MAX_JSON_DEPTH } from './json-body';

function nest(depth: number, arrays = false): unknown {
  return JSON.parse(
    arrays
      ? `${'['.repeat(depth)}${']'.repeat(depth)}`
      : `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`,
  );
}

describe('checkJsonBody', () => {
  it('accepts every real request shape, scalars and no body', () => {
    const batch = {
      messages: [{ to: [{ name: 'Zoë 😀', email: 'a@example.test' }], metadata: { k: 1 } }],
    };
    expect(checkJsonBody(batch)).toBeUndefined();
    expect(checkJsonBody(undefined)).toBeUndefined();
    expect(checkJsonBody('text')).toBeUndefined();
  });

  it('accepts the depth limit and refuses one more level, as 400 malformed body', () => {
    expect(checkJsonBody(nest(MAX_JSON_DEPTH))).toBeUndefined();
    for (const arrays of [false, true]) {
      const error = checkJsonBody(nest(MAX_JSON_DEPTH + 1, arrays));
      expect(error?.apiCode).toBe(ApiCode.MalformedBody);
      expect(error?.message).toMatch(/nested deeper than 32 levels/);
    }
  });

  it('handles a depth that would overflow a recursive walk', () => {
    expect(checkJsonBody(nest(100_000))?.status).toBe(400);
    expect(checkJsonBody(nest(100_000, true))?.status).toBe(400);
  });

  it('names every string and key holding NUL or an unpaired surrogate', () => {
    const error = checkJsonBody(
      JSON.parse(
        '{"text":"a\\u0000b","to":[{"name":"\\ud800x"}],"metadata":{"k\\udfff":"v"},"ok":"\\ud83d\\ude00"}',
      ),
    );
    expect(error).toBeInstanceOf(ValidationException);
    expect((error as ValidationException).errors.map((e) => e.field).sort()).toEqual([
      'metadata.k\udfff',
      'text',
      'to.0.name',
    ]);
  });

  it('reports at most 20 fields', () => {
    const many = Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`f${i}`, '\u0000']));
    expect((checkJsonBody(many) as ValidationException).errors).toHaveLength(20);
  });
});
