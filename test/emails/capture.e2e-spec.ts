import { http, startTestApp, type TestApp } from '../support/test-app';
import { anEmail, createKey, newTenantId } from '../factories/emails';

describe('capture:// built-in mailer', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({
      env: { BUILTIN_MAILER_URL: 'capture://', BUILTIN_MAIL_FROM: 'Gateway <gw@capture.test>' },
    });
  });
  afterAll(async () => {
    await t.close();
  });

  it('stores the rendered MIME, sends nothing, and shows it through the API', async () => {
    const key = await createKey(t, newTenantId());
    const res = await http(t.baseUrl, 'POST', '/v1/emails', {
      token: key.token,
      headers: { prefer: 'wait=10' },
      body: anEmail({
        subject: 'Grüße 你好',
        attachments: [
          {
            filename: 'a.txt',
            content: Buffer.from('hello').toString('base64'),
            contentType: 'text/plain',
          },
        ],
      }),
    });
    expect(res.status).toBe(200);
    const data = res.body.data;
    expect(data).toMatchObject({
      status: 'sent',
      transport: 'builtin',
      fallbackReason: 'no provider configured',
    });
    expect(data.capturedMime).toContain(`Message-ID: <${data.id}@capture.test>`);
    expect(data.capturedMime).toContain('Content-Type: multipart/');
    expect(data.capturedMime).toMatch(/filename=a\.txt/);
  });
});
