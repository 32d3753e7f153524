import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSmtpTestServer, type SmtpTestServer } from '../../test/support/smtp';
import { loadEnv } from '../config/env';
import { ALI_EXMAIL_PRESET, aliExmailTransportOptions } from './ali-exmail/ali-exmail.preset';
import { DeliveryError } from './delivery-error';
import type { OutboundEmail } from './mail-transport.interface';
import type { ProviderTransportConfig } from './provider-adapters';
import { DEFAULT_SMTP_PRESETS } from './smtp-presets';
import {
  TENCENT_EXMAIL_PRESET,
  tencentExmailTransportOptions,
} from './tencent-exmail/tencent-exmail.preset';
import { TransportFactory } from './transport.factory';

const LOGIN = 'notify@corp.example.cn';
const PASSWORD = 'exmail-app-password';

function message(overrides: Partial<OutboundEmail> = {}): OutboundEmail {
  return {
    messageId: 'preset-1',
    to: [{ name: '李雷', email: 'lilei@example.net' }],
    subject: '账单通知',
    text: '您好',
    ...overrides,
  };
}

describe('SMTP presets', () => {
  it('keep the real hosts in the default table', () => {
    expect(DEFAULT_SMTP_PRESETS).toEqual({
      ali: { host: 'smtp.qiye.aliyun.com', port: 465, secure: true },
      qq: { host: 'smtp.exmail.qq.com', port: 465, secure: true },
    });
  });

  it('ali: implicit TLS to smtp.qiye.aliyun.com:465, the mailbox as login, default From and only From', () => {
    expect(aliExmailTransportOptions({ mailbox: LOGIN, password: PASSWORD })).toEqual({
      name: 'provider:ali',
      host: 'smtp.qiye.aliyun.com',
      port: 465,
      secure: true,
      tls: undefined,
      auth: { user: LOGIN, pass: PASSWORD },
      defaultFrom: { email: LOGIN },
      requiredFrom: LOGIN,
    });
  });

  it('qq: implicit TLS to smtp.exmail.qq.com:465, the mailbox as login, default From and only From', () => {
    expect(tencentExmailTransportOptions({ mailbox: LOGIN, password: PASSWORD })).toEqual({
      name: 'provider:qq',
      host: 'smtp.exmail.qq.com',
      port: 465,
      secure: true,
      tls: undefined,
      auth: { user: LOGIN, pass: PASSWORD },
      defaultFrom: { email: LOGIN },
      requiredFrom: LOGIN,
    });
  });

  it('carry the factory-wide tuning, with the preset’s own trust first', () => {
    const options = aliExmailTransportOptions(
      { mailbox: LOGIN, password: PASSWORD },
      { ...ALI_EXMAIL_PRESET, tls: { ca: 'preset-ca' } },
      { tls: { ca: 'factory-ca' }, socketTimeoutMs: 1_234 },
    );
    expect(options).toMatchObject({ tls: { ca: 'preset-ca' }, socketTimeoutMs: 1_234 });
    expect(
      tencentExmailTransportOptions({ mailbox: LOGIN, password: PASSWORD }, TENCENT_EXMAIL_PRESET, {
        tls: { ca: 'factory-ca' },
      }).tls,
    ).toEqual({ ca: 'factory-ca' });
  });

  describe.each([
    [
      'ali',
      (sender: string): ProviderTransportConfig => ({
        type: 'ali',
        options: { mailbox: sender, password: PASSWORD },
      }),
    ],
    [
      'qq',
      (sender: string): ProviderTransportConfig => ({
        type: 'qq',
        options: { mailbox: sender, password: PASSWORD },
      }),
    ],
  ] as const)('%s end to end against a loopback implicit-TLS server', (type, configFor) => {
    let smtp: SmtpTestServer;
    let factory: TransportFactory;
    let dataDir: string;

    beforeEach(async () => {
      smtp = await startSmtpTestServer({ tls: 'implicit', auth: { user: LOGIN, pass: PASSWORD } });
      dataDir = mkdtempSync(join(tmpdir(), 'mailgate-presets-'));
      // Only the preset table changes: the adapter is built exactly as in production.
      factory = new TransportFactory(loadEnv({ MAILGATE_DATA_DIR: dataDir }), {
        smtpPresets: {
          [type]: { host: smtp.host, port: smtp.port, secure: true, tls: { ca: smtp.ca } },
        },
      });
    });

    afterEach(async () => {
      await factory.onApplicationShutdown();
      await smtp.close();
      rmSync(dataDir, { recursive: true, force: true });
    });

    it('logs in with the mailbox over TLS and sends from it', async () => {
      const transport = factory.forTenant('tenant-1', 1, configFor(LOGIN));
      expect(transport.name).toBe(`provider:${type}`);
      await expect(transport.verify()).resolves.toBeUndefined();
      const result = await transport.send(message());
      const [received] = await smtp.waitForMessages(1);
      expect(received.secure).toBe(true);
      expect(received.user).toBe(LOGIN);
      expect(received.mailFrom).toBe(LOGIN);
      expect(received.parsed.from?.value).toEqual([{ name: '', address: LOGIN }]);
      expect(received.parsed.subject).toBe('账单通知');
      expect(received.parsed.messageId).toBe('<preset-1@corp.example.cn>');
      expect(result.providerMessageId).toBe(received.queueId);
    });

    it('accepts the login address with a display name and in another case', async () => {
      const transport = factory.forTenant('tenant-1', 1, configFor(LOGIN));
      await transport.send(message({ from: { name: '通知中心', email: LOGIN.toUpperCase() } }));
      const [received] = await smtp.waitForMessages(1);
      expect(received.parsed.from?.value[0].name).toBe('通知中心');
    });

    it('refuses a From other than the login before connecting', async () => {
      const transport = factory.forTenant('tenant-1', 1, configFor(LOGIN));
      const sending = transport.send(message({ from: { email: 'ceo@corp.example.cn' } }));
      await expect(sending).rejects.toBeInstanceOf(DeliveryError);
      await expect(sending).rejects.toMatchObject({
        errorClass: 'rejected',
        code: 'FROM_MISMATCH',
      });
      expect(smtp.connections).toBe(0);
      expect(smtp.messages).toHaveLength(0);
    });

    it('maps a wrong password to auth', async () => {
      const wrong: ProviderTransportConfig =
        type === 'ali'
          ? { type: 'ali', options: { mailbox: LOGIN, password: 'wrong' } }
          : { type: 'qq', options: { mailbox: LOGIN, password: 'wrong' } };
      const transport = factory.create(wrong);
      try {
        await expect(transport.verify()).rejects.toMatchObject({ errorClass: 'auth', status: 535 });
      } finally {
        await transport.close();
      }
    });
  });
});
