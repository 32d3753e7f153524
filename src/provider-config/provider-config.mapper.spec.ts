import { SecretCipher } from '../common/secret-cipher';
import { SECRET_MASK } from './provider-config.constants';
import { ProviderConfigEntity } from './provider-config.entity';
import { hasUnreadableSecret, ProviderConfigMapper, toResolved } from './provider-config.mapper';
import type { ProviderBlocks } from './provider-config.types';
import { UNREADABLE_SECRET } from './secret-merge';

const key = (id: string, fill: number) => ({ id, key: Buffer.alloc(32, fill) });
const cipher = new SecretCipher([key('k1', 1)]);
const mapper = new ProviderConfigMapper(cipher);

const plain: ProviderBlocks = {
  smtpConfig: {
    smtp_host: 'smtp.example.test',
    smtp_port: 465,
    sender: 'm@example.test',
    senderPass: 'smtp-secret',
    secure: true,
  },
  sendGridConfig: { sender: 'n@example.test', apikey: 'SG.secret-key' },
  aliExmailConfig: { sender: 'a@example.test', senderPass: 'ali-secret' },
  tencentExmailConfig: { sender: 'q@example.test', senderPass: 'qq-secret' },
};

function row(
  config: ProviderBlocks,
  overrides: Partial<ProviderConfigEntity> = {},
): ProviderConfigEntity {
  return Object.assign(new ProviderConfigEntity(), {
    tenantId: 'tenant-a',
    type: 'custom',
    enabled: true,
    config,
    fallbackOnFailure: false,
    concurrency: { maxConnections: 12 },
    rateLimit: null,
    version: 3,
    lastVerifiedAt: null,
    lastVerifyError: null,
    updatedBy: 'mgk_1',
    createdAt: new Date('2025-01-01T00:00:00Z'),
    updatedAt: new Date('2025-01-02T00:00:00Z'),
    ...overrides,
  });
}

describe('ProviderConfigMapper', () => {
  it('encrypts every secret and nothing else; decrypts them back', () => {
    const stored = mapper.encrypt('tenant-a', plain);
    const text = JSON.stringify(stored);
    for (const secret of ['smtp-secret', 'SG.secret-key', 'ali-secret', 'qq-secret']) {
      expect(text).not.toContain(secret);
    }
    expect(stored.smtpConfig?.smtp_host).toBe('smtp.example.test');
    expect(stored.smtpConfig?.senderPass).toMatch(/^k1:/);
    expect(mapper.decrypt('tenant-a', stored)).toEqual(plain);
  });

  it('binds ciphertext to tenant and field: moved, it does not decrypt', () => {
    const stored = mapper.encrypt('tenant-a', plain);
    expect(mapper.decrypt('tenant-b', stored).smtpConfig?.senderPass).toBe(UNREADABLE_SECRET);
    const swapped: ProviderBlocks = {
      aliExmailConfig: {
        sender: 'a@example.test',
        senderPass: stored.tencentExmailConfig!.senderPass,
      },
    };
    expect(mapper.decrypt('tenant-a', swapped).aliExmailConfig?.senderPass).toBe(UNREADABLE_SECRET);
    expect(hasUnreadableSecret('ali', mapper.decrypt('tenant-a', swapped))).toBe(true);
    expect(hasUnreadableSecret('custom', mapper.decrypt('tenant-a', stored))).toBe(false);
  });

  it('decrypts with an older key after rotation', () => {
    const stored = mapper.encrypt('tenant-a', plain);
    const rotated = new ProviderConfigMapper(new SecretCipher([key('k2', 2), key('k1', 1)]));
    expect(rotated.decrypt('tenant-a', stored)).toEqual(plain);
  });

  it('answers GenAuth’s EmailProviderDto with every secret masked', () => {
    const dto = mapper.toDto(
      row(mapper.encrypt('tenant-a', plain), { lastVerifiedAt: new Date('2025-01-03T00:00:00Z') }),
    );
    expect(dto).toEqual({
      enabled: true,
      type: 'custom',
      smtpConfig: { ...plain.smtpConfig, senderPass: SECRET_MASK },
      sendGridConfig: { ...plain.sendGridConfig, apikey: SECRET_MASK },
      aliExmailConfig: { ...plain.aliExmailConfig, senderPass: SECRET_MASK },
      tencentExmailConfig: { ...plain.tencentExmailConfig, senderPass: SECRET_MASK },
      fallbackOnFailure: false,
      concurrency: { maxConnections: 12, maxMessagesPerConnection: 100 },
      rateLimit: null,
      version: 3,
      lastVerifiedAt: '2025-01-03T00:00:00.000Z',
      lastVerifyError: null,
      updatedAt: '2025-01-02T00:00:00.000Z',
      // No failure recorded for this version: closed since the save.
      health: {
        state: 'closed',
        since: '2025-01-02T00:00:00.000Z',
        consecutiveFailures: 0,
        lastError: null,
        reason: null,
        retryAt: null,
      },
    });
  });

  it('shows an open circuit with its classified last error only', () => {
    const dto = mapper.toDto(row({}), {
      state: 'open',
      reason: 'failures',
      consecutiveFailures: 5,
      since: new Date('2025-01-04T00:00:00Z'),
      retryAt: new Date('2025-01-04T00:00:05Z'),
      lastError: {
        class: 'transient',
        code: 'ECONNECTION',
        message: 'Connection refused',
        extra: 'not shown',
      } as never,
    });
    expect(dto.health).toEqual({
      state: 'open',
      since: '2025-01-04T00:00:00.000Z',
      consecutiveFailures: 5,
      lastError: { class: 'transient', code: 'ECONNECTION', message: 'Connection refused' },
      reason: 'failures',
      retryAt: '2025-01-04T00:00:05.000Z',
    });
  });

  it('leaves absent blocks out of the answer', () => {
    const dto = mapper.toDto(row({}, { enabled: false }));
    expect(Object.keys(dto)).not.toContain('smtpConfig');
    expect(dto).toMatchObject({ enabled: false, type: 'custom' });
  });

  it('copies only the known fields of given blocks and reads a missing secure as false', () => {
    const blocks = mapper.fromInput({
      smtpConfig: { smtp_host: 'h.test', smtp_port: 25, sender: 'm@example.test', senderPass: 'p' },
      aliExmailConfig: { sender: 'a@example.test', senderPass: 'p' },
    });
    expect(blocks).toEqual({
      smtpConfig: {
        smtp_host: 'h.test',
        smtp_port: 25,
        sender: 'm@example.test',
        senderPass: 'p',
        secure: false,
      },
      aliExmailConfig: { sender: 'a@example.test', senderPass: 'p' },
    });
  });
});

describe('toResolved', () => {
  it.each([
    [
      'custom' as const,
      {
        host: 'smtp.example.test',
        port: 465,
        login: 'm@example.test',
        password: 'smtp-secret',
        secure: true,
      },
    ],
    ['sendgrid' as const, { from: 'n@example.test', apiKey: 'SG.secret-key' }],
    ['ali' as const, { mailbox: 'a@example.test', password: 'ali-secret' }],
    ['qq' as const, { mailbox: 'q@example.test', password: 'qq-secret' }],
  ])("gives the transport the %s block in the adapter's options", (type, options) => {
    expect(toResolved(type, plain)).toEqual({ type, options });
    expect(toResolved(type, {})).toBeNull();
  });
});
