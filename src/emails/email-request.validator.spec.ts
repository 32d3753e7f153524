import { isAllowedHeader, MAX_RECIPIENTS, validateEmailRequest } from './email-request.validator';

const base = { to: 'a@example.test', subject: 'Hi', text: 'Body' };
const fields = (body: unknown): string[] => validateEmailRequest(body).errors.map((e) => e.field);

describe('validateEmailRequest', () => {
  it('normalises addresses to { name?, email } and keeps only what was given', () => {
    const { value, errors } = validateEmailRequest({
      ...base,
      to: ['x@example.test', { name: 'Zoë', email: 'z@example.test' }],
      from: 'Sender <s@example.test>'.replace(/.*<|>/g, ''),
      replyTo: { email: 'r@example.test' },
    });
    expect(errors).toEqual([]);
    expect(value?.payload).toEqual({
      to: [{ email: 'x@example.test' }, { name: 'Zoë', email: 'z@example.test' }],
      from: { email: 's@example.test' },
      replyTo: { email: 'r@example.test' },
      subject: 'Hi',
      text: 'Body',
    });
  });

  it.each([
    ['CR/LF in the subject', { ...base, subject: 'a\r\nBcc: x@y.test' }, 'subject'],
    [
      'LF in a display name',
      { ...base, to: [{ name: 'a\nb', email: 'a@example.test' }] },
      'to.0.name',
    ],
    [
      'NUL in a filename',
      { ...base, attachments: [{ filename: 'a\0.txt', content: 'YQ==' }] },
      'attachments.0.filename',
    ],
    ['CR in a custom header value', { ...base, headers: { 'X-Id': 'a\rb' } }, 'headers.X-Id'],
    ['a reserved header', { ...base, headers: { 'Message-ID': '<x@y>' } }, 'headers.Message-ID'],
    [
      'a prototype key in headers',
      JSON.parse('{"to":"a@example.test","subject":"s","text":"t","headers":{"__proto__":"x"}}'),
      'headers.__proto__',
    ],
    [
      'a prototype key in metadata',
      { ...base, metadata: JSON.parse('{"constructor":"x"}') },
      'metadata.constructor',
    ],
    ['an address with a space', { ...base, to: 'a b@example.test' }, 'to'],
    ['an address without a domain', { ...base, cc: ['a@'] }, 'cc.0'],
    [
      'a non-base64 attachment',
      { ...base, attachments: [{ filename: 'a', content: 'not base64!' }] },
      'attachments.0.content',
    ],
    ['an unknown field', { ...base, priority: 'high' }, 'priority'],
    ['a bad tag', { ...base, tags: ['ok', 'not ok'] }, 'tags.1'],
  ])('rejects %s', (_name, body, field) => {
    expect(fields(body)).toContain(field);
  });

  it('requires a recipient, a subject and a body, naming each', () => {
    expect(fields({})).toEqual(expect.arrayContaining(['to', 'subject', 'text']));
  });

  it(`caps to + cc + bcc at ${MAX_RECIPIENTS}`, () => {
    const to = Array.from({ length: 30 }, (_, i) => `t${i}@example.test`);
    const cc = Array.from({ length: 21 }, (_, i) => `c${i}@example.test`);
    expect(fields({ ...base, to, cc })).toContain('to');
    expect(fields({ ...base, to, cc: cc.slice(1) })).toEqual([]);
  });

  it('counts decoded attachment bytes in the size', () => {
    const content = Buffer.alloc(3000, 1).toString('base64');
    const { value } = validateEmailRequest({
      ...base,
      attachments: [{ filename: 'a.bin', content }],
    });
    expect(value?.sizeBytes).toBeGreaterThanOrEqual(3000);
    expect(value?.sizeBytes).toBeLessThan(3100);
  });

  it('prefixes fields of batch items with their index', () => {
    expect(validateEmailRequest({ to: 'bad' }, 'messages.7').errors.map((e) => e.field)).toEqual(
      expect.arrayContaining(['messages.7.to', 'messages.7.subject']),
    );
  });

  it('allows X-* and list headers but not the gateway or vendor ones', () => {
    expect(isAllowedHeader('X-Campaign')).toBe(true);
    expect(isAllowedHeader('List-Unsubscribe')).toBe(true);
    expect(isAllowedHeader('X-Mailgate-Tenant')).toBe(false);
    expect(isAllowedHeader('X-SMTPAPI')).toBe(false);
    expect(isAllowedHeader('From')).toBe(false);
  });
});
