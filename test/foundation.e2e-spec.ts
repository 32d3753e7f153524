import { http, startTestApp, type TestApp } from './support/test-app';

describe('HTTP foundation (real AppModule over HTTP, real PostgreSQL)', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => {
    await t.close();
  });

  it('answers an unknown route with the envelope and 404', async () => {
    const res = await http(t.baseUrl, 'GET', '/v1/nothing-here');
    expect(res.status).toBe(404);
    expect(res.body).toEqual({
      statusCode: 404,
      message: 'Route not found',
      apiCode: 40401,
      requestId: expect.any(String),
      data: null,
    });
    expect(res.headers.get('x-request-id')).toBe(res.body.requestId);
  });

  it('answers GenAuth routes with HTTP 200 and the outcome in statusCode', async () => {
    const res = await http(t.baseUrl, 'GET', '/api/v3/not-a-route');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ statusCode: 404, apiCode: 40401 });
  });

  it('answers malformed JSON with the envelope and 400', async () => {
    const res = await http(t.baseUrl, 'POST', '/v1/nothing-here', {
      rawBody: '{"to": [',
      headers: { 'content-type': 'application/json' },
    });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ statusCode: 400, apiCode: 40001, data: null });
    expect(typeof res.body.message).toBe('string');
  });

  it('answers a body over the limit with the envelope and 413', async () => {
    const big = Buffer.alloc(t.env.limits.maxMessageBytes * 2, 'a');
    const res = await http(t.baseUrl, 'POST', '/v1/nothing-here', {
      rawBody: big,
      headers: { 'content-type': 'application/json' },
    });
    expect(res.status).toBe(413);
    expect(res.body).toMatchObject({ statusCode: 413, apiCode: 41300, data: null });
  });

  it('keeps a safe incoming x-request-id and echoes it in header, envelope and logs', async () => {
    const res = await http(t.baseUrl, 'GET', '/v1/nothing-here', {
      headers: { 'x-request-id': 'trace-abc.123' },
    });
    expect(res.headers.get('x-request-id')).toBe('trace-abc.123');
    expect(res.body.requestId).toBe('trace-abc.123');
    expect(t.logs.some((l) => l.includes('"requestId":"trace-abc.123"'))).toBe(true);
  });

  it('replaces an unsafe incoming x-request-id with a fresh one', async () => {
    const res = await http(t.baseUrl, 'GET', '/v1/nothing-here', {
      headers: { 'x-request-id': 'bad id with spaces' },
    });
    expect(res.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('reports liveness and readiness', async () => {
    const live = await http(t.baseUrl, 'GET', '/health/live');
    expect(live.status).toBe(200);
    expect(live.body).toMatchObject({ status: 'ok' });
    const ready = await http(t.baseUrl, 'GET', '/health/ready');
    expect(ready.status).toBe(200);
    expect(ready.body).toMatchObject({ status: 'ok', info: { database: { status: 'up' } } });
  });
});
