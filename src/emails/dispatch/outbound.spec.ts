import { toOutbound } from './outbound';

describe('toOutbound', () => {
  it('uses the outbox id as the message id and decodes attachments', () => {
    const out = toOutbound({
      id: 'abc',
      tenantId: 't',
      attempt: 1,
      configVersion: 1,
      circuit: 'closed',
      circuitRetryAt: null,
      payload: {
        to: [{ email: 'a@example.test' }],
        subject: 's',
        text: 't',
        attachments: [
          { filename: 'a.txt', content: Buffer.from('hi').toString('base64'), cid: 'logo' },
        ],
      },
    });
    expect(out.messageId).toBe('abc');
    expect(out.attachments?.[0]).toEqual({
      filename: 'a.txt',
      contentType: undefined,
      cid: 'logo',
      content: Buffer.from('hi'),
    });
  });
});
