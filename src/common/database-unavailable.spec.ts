import { buildErrorEnvelope } from './all-exceptions.filter';
import { isDatabaseUnavailable } from './database-unavailable';

function withCode(code: string, message = 'x'): Error {
  return Object.assign(new Error(message), { code });
}

describe('isDatabaseUnavailable', () => {
  it.each([
    ['connection refused', withCode('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:5432')],
    [
      'admin shutdown (57P01)',
      withCode('57P01', 'terminating connection due to administrator command'),
    ],
    ['starting up (57P03)', withCode('57P03', 'the database system is starting up')],
    ['connection exception (08006)', withCode('08006')],
    ['too many connections (53300)', withCode('53300')],
    [
      'a statement timeout (57014)',
      withCode('57014', 'canceling statement due to statement timeout'),
    ],
    ['a dropped connection', new Error('Connection terminated unexpectedly')],
    ['a pool timeout', new Error('timeout exceeded when trying to connect')],
    ['TypeORM wrapping', Object.assign(new Error('q'), { driverError: withCode('57P01') })],
    ['a cause', new Error('outer', { cause: withCode('ECONNRESET') })],
    ['happy eyeballs', new AggregateError([withCode('ECONNREFUSED'), withCode('ECONNREFUSED')])],
  ])('is true for %s', (_what, error) => {
    expect(isDatabaseUnavailable(error)).toBe(true);
  });

  it.each([
    ['a unique violation', withCode('23505')],
    ['a syntax error', withCode('42601')],
    ['a plain bug', new TypeError("Cannot read properties of undefined (reading 'x')")],
    ['a string', 'ECONNREFUSED'],
    ['null', null],
  ])('is false for %s', (_what, error) => {
    expect(isDatabaseUnavailable(error)).toBe(false);
  });

  it('turns an outage into 503 with Retry-After, and a bug into 500', () => {
    const outage = buildErrorEnvelope(withCode('ECONNREFUSED'), 'req-1');
    expect(outage).toMatchObject({
      status: 503,
      headers: { 'retry-after': '1' },
      body: { statusCode: 503, apiCode: 50300, requestId: 'req-1' },
    });
    const bug = buildErrorEnvelope(new TypeError('boom'), 'req-2');
    expect(bug).toMatchObject({ status: 500, body: { statusCode: 500, apiCode: 50000 } });
    expect(bug.body.message).not.toContain('boom');
  });
});
