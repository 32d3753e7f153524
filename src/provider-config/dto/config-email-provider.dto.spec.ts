import type { ArgumentMetadata } from '@nestjs/common';
import { ValidationException } from '../../common/app.exception';
import { createValidationPipe } from '../../common/validation';
import { ConfigEmailProviderDto } from './config-email-provider.dto';
import {
  ProviderConfigCandidateDto,
  VerifyEmailProviderDto,
} from './provider-config-candidate.dto';
import { SendTestEmailDto } from './send-test-email.dto';
import { EmailProviderHistoryQueryDto } from './email-provider-history-query.dto';

const pipe = createValidationPipe();

async function failingFields(
  metatype: ArgumentMetadata['metatype'],
  body: unknown,
): Promise<string[]> {
  try {
    await pipe.transform(body, { type: 'body', metatype });
  } catch (error) {
    if (error instanceof ValidationException) {
      return error.errors.map((e) => e.field).sort();
    }
    throw error;
  }
  return [];
}

const smtp = {
  smtp_host: 'smtp.example.test',
  smtp_port: 465,
  sender: 'mailer@example.test',
  senderPass: 'pw',
  secure: true,
};
const sendGrid = { sender: 'noreply@example.test', apikey: 'SG.key' };
const exmail = { sender: 'mailer@example.test', senderPass: 'pw' };

describe('ConfigEmailProviderDto (GenAuth config_email_provider body)', () => {
  const valid: Array<[string, Record<string, unknown>]> = [
    ['custom SMTP', { type: 'custom', enabled: true, smtpConfig: smtp }],
    [
      'custom SMTP without secure',
      { type: 'custom', enabled: true, smtpConfig: { ...smtp, secure: undefined } },
    ],
    [
      'custom SMTP on an IPv4 host',
      { type: 'custom', enabled: true, smtpConfig: { ...smtp, smtp_host: '127.0.0.1' } },
    ],
    [
      'custom SMTP on an IPv6 host',
      { type: 'custom', enabled: true, smtpConfig: { ...smtp, smtp_host: '::1' } },
    ],
    [
      'custom SMTP on a single-label host',
      { type: 'custom', enabled: true, smtpConfig: { ...smtp, smtp_host: 'localhost' } },
    ],
    ['sendgrid', { type: 'sendgrid', enabled: true, sendGridConfig: sendGrid }],
    ['ali', { type: 'ali', enabled: true, aliExmailConfig: exmail }],
    ['qq', { type: 'qq', enabled: true, tencentExmailConfig: exmail }],
    ['disabled without any block', { type: 'custom', enabled: false }],
    ['disabled with its block', { type: 'sendgrid', enabled: false, sendGridConfig: sendGrid }],
    [
      'every block at once',
      {
        type: 'qq',
        enabled: true,
        smtpConfig: smtp,
        sendGridConfig: sendGrid,
        aliExmailConfig: exmail,
        tencentExmailConfig: exmail,
      },
    ],
    [
      'the fallbackOnFailure extension',
      { type: 'custom', enabled: true, smtpConfig: smtp, fallbackOnFailure: true },
    ],
    [
      'the concurrency extension at its bounds',
      {
        type: 'custom',
        enabled: true,
        smtpConfig: smtp,
        concurrency: { maxConnections: 128, maxMessagesPerConnection: 1 },
      },
    ],
    [
      'concurrency with defaults (empty, or null as a SendGrid read shows it)',
      {
        type: 'sendgrid',
        enabled: true,
        sendGridConfig: sendGrid,
        concurrency: { maxConnections: 1, maxMessagesPerConnection: null },
      },
    ],
    [
      'the rateLimit extension at its bounds',
      {
        type: 'custom',
        enabled: true,
        smtpConfig: smtp,
        rateLimit: { perSecond: 0.01, perDay: 10_000_000 },
      },
    ],
    [
      'rateLimit with one field, the other null, and a null rateLimit (no limit)',
      { type: 'custom', enabled: false, rateLimit: { perSecond: 1000, perDay: null } },
    ],
    ['a null rateLimit', { type: 'custom', enabled: false, rateLimit: null }],
    [
      'masked secrets (resolved later)',
      { type: 'custom', enabled: true, smtpConfig: { ...smtp, senderPass: '********' } },
    ],
    [
      'a read posted back as it is (read-only fields ignored)',
      {
        type: 'custom',
        enabled: true,
        smtpConfig: smtp,
        fallbackOnFailure: false,
        version: 3,
        lastVerifiedAt: null,
        lastVerifyError: null,
        updatedAt: '2025-01-01T00:00:00.000Z',
        health: { state: 'closed', since: '2025-01-01T00:00:00.000Z', consecutiveFailures: 0 },
      },
    ],
    [
      'port bounds 1 and 65535',
      { type: 'custom', enabled: true, smtpConfig: { ...smtp, smtp_port: 65535 } },
    ],
  ];
  it.each(valid)('accepts %s', async (_name, body) => {
    await expect(failingFields(ConfigEmailProviderDto, body)).resolves.toEqual([]);
  });

  const invalid: Array<[string, unknown, string[]]> = [
    ['an empty body', {}, ['enabled', 'type']],
    ['no body at all', undefined, ['enabled', 'type']],
    ['an unknown type', { type: 'mailgun', enabled: true }, ['type']],
    ['enabled as a string', { type: 'custom', enabled: 'true', smtpConfig: smtp }, ['enabled']],
    ['the enabled type without its block', { type: 'custom', enabled: true }, ['smtpConfig']],
    [
      'sendgrid enabled without its block',
      { type: 'sendgrid', enabled: true, smtpConfig: smtp },
      ['sendGridConfig'],
    ],
    ['ali enabled without its block', { type: 'ali', enabled: true }, ['aliExmailConfig']],
    [
      'qq enabled without its block',
      { type: 'qq', enabled: true, aliExmailConfig: exmail },
      ['tencentExmailConfig'],
    ],
    ['a null block', { type: 'custom', enabled: true, smtpConfig: null }, ['smtpConfig']],
    [
      'a block that is a string',
      { type: 'custom', enabled: false, smtpConfig: 'smtp://x' },
      ['smtpConfig'],
    ],
    [
      'a block that is an array',
      { type: 'custom', enabled: false, smtpConfig: [smtp] },
      ['smtpConfig'],
    ],
    [
      'every required SMTP field missing',
      { type: 'custom', enabled: true, smtpConfig: {} },
      ['smtpConfig.senderPass', 'smtpConfig.smtp_host', 'smtpConfig.smtp_port'],
    ],
    [
      'an SMTP login with a line break',
      { type: 'custom', enabled: true, smtpConfig: { ...smtp, sender: 'apikey\r\nRSET' } },
      ['smtpConfig.sender'],
    ],
    [
      'an SMTP login longer than 256 characters',
      { type: 'custom', enabled: true, smtpConfig: { ...smtp, sender: 'a'.repeat(257) } },
      ['smtpConfig.sender'],
    ],
    [
      'port 0',
      { type: 'custom', enabled: true, smtpConfig: { ...smtp, smtp_port: 0 } },
      ['smtpConfig.smtp_port'],
    ],
    [
      'port 65536',
      { type: 'custom', enabled: true, smtpConfig: { ...smtp, smtp_port: 65536 } },
      ['smtpConfig.smtp_port'],
    ],
    [
      'port as a string',
      { type: 'custom', enabled: true, smtpConfig: { ...smtp, smtp_port: '465' } },
      ['smtpConfig.smtp_port'],
    ],
    [
      'a fractional port',
      { type: 'custom', enabled: true, smtpConfig: { ...smtp, smtp_port: 46.5 } },
      ['smtpConfig.smtp_port'],
    ],
    [
      'a host with a space',
      { type: 'custom', enabled: true, smtpConfig: { ...smtp, smtp_host: 'smtp example.test' } },
      ['smtpConfig.smtp_host'],
    ],
    [
      'a host that is a URL',
      {
        type: 'custom',
        enabled: true,
        smtpConfig: { ...smtp, smtp_host: 'smtp://smtp.example.test' },
      },
      ['smtpConfig.smtp_host'],
    ],
    [
      'a bad IPv4 host',
      { type: 'custom', enabled: true, smtpConfig: { ...smtp, smtp_host: '999.1.1.1' } },
      ['smtpConfig.smtp_host'],
    ],
    [
      'secure as a string',
      { type: 'custom', enabled: true, smtpConfig: { ...smtp, secure: 'yes' } },
      ['smtpConfig.secure'],
    ],
    [
      'an SMTP login that is not a string',
      { type: 'custom', enabled: true, smtpConfig: { ...smtp, sender: 42 } },
      ['smtpConfig.sender'],
    ],
    [
      'an empty password',
      { type: 'custom', enabled: true, smtpConfig: { ...smtp, senderPass: '' } },
      ['smtpConfig.senderPass'],
    ],
    [
      'a numeric password',
      { type: 'custom', enabled: true, smtpConfig: { ...smtp, senderPass: 1234 } },
      ['smtpConfig.senderPass'],
    ],
    [
      'sendgrid without apikey and sender',
      { type: 'sendgrid', enabled: true, sendGridConfig: {} },
      ['sendGridConfig.apikey', 'sendGridConfig.sender'],
    ],
    [
      'a sendgrid sender that is not an email',
      { type: 'sendgrid', enabled: true, sendGridConfig: { ...sendGrid, sender: 'no-reply' } },
      ['sendGridConfig.sender'],
    ],
    [
      'ali without password',
      { type: 'ali', enabled: true, aliExmailConfig: { sender: 'a@example.test' } },
      ['aliExmailConfig.senderPass'],
    ],
    [
      'qq with a bad sender',
      { type: 'qq', enabled: true, tencentExmailConfig: { ...exmail, sender: 'x@' } },
      ['tencentExmailConfig.sender'],
    ],
    [
      'a present block of another type is still validated',
      { type: 'custom', enabled: false, sendGridConfig: { sender: 'x' } },
      ['sendGridConfig.apikey', 'sendGridConfig.sender'],
    ],
    ['an unknown top-level field', { type: 'custom', enabled: false, region: 'cn' }, ['region']],
    [
      'an unknown field inside a block',
      { type: 'custom', enabled: true, smtpConfig: { ...smtp, tls: false } },
      ['smtpConfig.tls'],
    ],
    [
      'a version that is not a positive integer',
      { type: 'custom', enabled: false, version: '3' },
      ['version'],
    ],
    [
      'fallbackOnFailure as a number',
      { type: 'custom', enabled: false, fallbackOnFailure: 1 },
      ['fallbackOnFailure'],
    ],
    [
      'concurrency out of bounds, fractional, or with an unknown field',
      {
        type: 'custom',
        enabled: false,
        concurrency: { maxConnections: 0, maxMessagesPerConnection: 2.5, maxRequests: 4 },
      },
      [
        'concurrency.maxConnections',
        'concurrency.maxMessagesPerConnection',
        'concurrency.maxRequests',
      ],
    ],
    [
      'concurrency that is not an object',
      { type: 'custom', enabled: false, concurrency: 8 },
      ['concurrency'],
    ],
    [
      'rateLimit out of bounds, too precise, a string, or with an unknown field',
      {
        type: 'custom',
        enabled: false,
        rateLimit: { perSecond: 0.001, perDay: 1.5, perMinute: 60 },
      },
      ['rateLimit.perDay', 'rateLimit.perMinute', 'rateLimit.perSecond'],
    ],
    [
      'rateLimit values above the bounds, or not numbers',
      { type: 'custom', enabled: false, rateLimit: { perSecond: '10', perDay: 10_000_001 } },
      ['rateLimit.perDay', 'rateLimit.perSecond'],
    ],
    [
      'rateLimit that is not an object',
      { type: 'custom', enabled: false, rateLimit: 10 },
      ['rateLimit'],
    ],
    [
      'several failures at once, all named',
      {
        type: 'custom',
        enabled: true,
        smtpConfig: { ...smtp, smtp_port: 70000, smtp_host: 'bad host', sender: 'no\0pe' },
        extra: 1,
      },
      ['extra', 'smtpConfig.sender', 'smtpConfig.smtp_host', 'smtpConfig.smtp_port'],
    ],
  ];
  it.each(invalid)('rejects %s', async (_name, body, fields) => {
    await expect(failingFields(ConfigEmailProviderDto, body)).resolves.toEqual(fields);
  });

  it.each([
    ['the seed sample login', 'test'],
    ['an Amazon SES access key id', 'AKIAIOSFODNN7EXAMPLE'],
    ["SendGrid's relay login", 'apikey'],
    ['an address', 'mailer@example.test'],
    ['empty (no AUTH)', ''],
    ['absent (no AUTH)', undefined],
  ])('accepts an SMTP login that is %s', async (_name, sender) => {
    await expect(
      failingFields(ConfigEmailProviderDto, {
        type: 'custom',
        enabled: true,
        smtpConfig: { ...smtp, sender },
      }),
    ).resolves.toEqual([]);
  });

  it.each([
    ['sendGridConfig', 'Acme Support <support@acme.example>'],
    ['sendGridConfig', 'ops@例子.中国'],
    ['aliExmailConfig', 'mailer@例子.中国'],
  ])('accepts %s.sender %s', async (block, sender) => {
    const type = block === 'sendGridConfig' ? 'sendgrid' : 'ali';
    const base = block === 'sendGridConfig' ? sendGrid : exmail;
    await expect(
      failingFields(ConfigEmailProviderDto, { type, enabled: true, [block]: { ...base, sender } }),
    ).resolves.toEqual([]);
  });

  it('never echoes a rejected value (a password) in the error', async () => {
    const error = await pipe
      .transform(
        {
          type: 'custom',
          enabled: true,
          smtpConfig: { ...smtp, smtp_port: 'x', senderPass: 'hunter2-secret' },
          bogus: 'hunter2-secret',
        },
        { type: 'body', metatype: ConfigEmailProviderDto },
      )
      .catch((e: unknown) => e);
    expect(
      JSON.stringify({
        message: (error as Error).message,
        data: (error as ValidationException).data,
      }),
    ).not.toContain('hunter2');
  });
});

describe('VerifyEmailProviderDto', () => {
  it('accepts an empty body (the saved config)', async () => {
    await expect(failingFields(VerifyEmailProviderDto, undefined)).resolves.toEqual([]);
    await expect(failingFields(VerifyEmailProviderDto, {})).resolves.toEqual([]);
  });
  it('requires type and its block once any field is given, enabled or not', async () => {
    await expect(failingFields(VerifyEmailProviderDto, { smtpConfig: smtp })).resolves.toEqual([
      'type',
    ]);
    await expect(
      failingFields(VerifyEmailProviderDto, { type: 'custom', enabled: false }),
    ).resolves.toEqual(['smtpConfig']);
    await expect(
      failingFields(VerifyEmailProviderDto, { type: 'sendgrid', sendGridConfig: sendGrid }),
    ).resolves.toEqual([]);
  });
  it('rejects unknown fields', async () => {
    await expect(failingFields(VerifyEmailProviderDto, { foo: 1 })).resolves.toEqual([
      'foo',
      'type',
    ]);
  });
});

describe('SendTestEmailDto', () => {
  it('requires an email address', async () => {
    await expect(failingFields(SendTestEmailDto, {})).resolves.toEqual(['email']);
    await expect(failingFields(SendTestEmailDto, { email: 'not-an-address' })).resolves.toEqual([
      'email',
    ]);
    await expect(failingFields(SendTestEmailDto, { email: 'ada@example.test' })).resolves.toEqual(
      [],
    );
  });
  it('validates a given config as a candidate', async () => {
    await expect(
      failingFields(SendTestEmailDto, { email: 'ada@example.test', config: { type: 'ali' } }),
    ).resolves.toEqual(['config.aliExmailConfig']);
    await expect(
      failingFields(SendTestEmailDto, {
        email: 'ada@example.test',
        config: { type: 'ali', aliExmailConfig: exmail },
      }),
    ).resolves.toEqual([]);
    await expect(failingFields(ProviderConfigCandidateDto, { enabled: true })).resolves.toEqual([
      'type',
    ]);
  });
});

describe('EmailProviderHistoryQueryDto', () => {
  const parse = (query: Record<string, string>): Promise<EmailProviderHistoryQueryDto> =>
    pipe.transform(query, {
      type: 'query',
      metatype: EmailProviderHistoryQueryDto,
    }) as Promise<EmailProviderHistoryQueryDto>;

  it('defaults the page size and converts the query strings', async () => {
    await expect(parse({})).resolves.toMatchObject({ limit: 20 });
    await expect(parse({ limit: '5', cursor: '42' })).resolves.toMatchObject({
      limit: 5,
      cursor: '42',
    });
  });
  it.each([
    [{ limit: '0' }, ['limit']],
    [{ limit: '101' }, ['limit']],
    [{ limit: 'ten' }, ['limit']],
    [{ cursor: 'abc' }, ['cursor']],
    [{ cursor: '-1' }, ['cursor']],
    [{ page: '2' }, ['page']],
  ])('rejects %j', async (query, fields) => {
    await expect(failingFields(EmailProviderHistoryQueryDto, query)).resolves.toEqual(fields);
  });
});
