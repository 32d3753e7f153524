import 'reflect-metadata';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Global, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { startSmtpTestServer, type SmtpTestServer } from '../../test/support/smtp';
import { thrownBy } from '../../test/support/thrown';
import { APP_ENV } from '../config/app-env.constants';
import { loadEnv, type AppEnv } from '../config/env';
import { CaptureTransport } from './builtin/capture.transport';
import type { MailTransport, OutboundEmail } from './mail-transport.interface';
import type { ProviderTransportConfig } from './provider-adapters';
import { SendGridTransport } from './sendgrid/sendgrid.transport';
import { SmtpTransport } from './smtp/smtp.transport';
import { TransportFactory, type TransportFactoryOptions } from './transport.factory';
import { TransportsModule } from './transports.module';
import { TRANSPORT_FACTORY_OPTIONS } from './transports.constants';

const message: OutboundEmail = {
  messageId: 'factory-1',
  to: [{ email: 'rcpt@example.net' }],
  subject: 'hello',
  text: 'hi',
};

describe('TransportFactory', () => {
  let smtp: SmtpTestServer;
  let dataDir: string;
  let env: AppEnv;
  let factory: TransportFactory;
  let options: TransportFactoryOptions;

  function customConfig(pass = 'test-password'): ProviderTransportConfig {
    return {
      type: 'custom',
      options: {
        host: smtp.host,
        port: smtp.port,
        login: 'mailer@example.test',
        password: pass,
      },
    };
  }

  /** A closed adapter refuses with TRANSPORT_CLOSED; an open one delivers. */
  async function isClosed(transport: MailTransport): Promise<boolean> {
    try {
      await transport.send(message);
      return false;
    } catch (error) {
      return (error as { code?: string }).code === 'TRANSPORT_CLOSED';
    }
  }

  beforeAll(async () => {
    smtp = await startSmtpTestServer({ tls: 'starttls' });
    dataDir = mkdtempSync(join(tmpdir(), 'mailgate-factory-'));
    env = loadEnv({
      MAILGATE_DATA_DIR: dataDir,
      BUILTIN_MAILER_URL: `smtp://mailer%40example.test:test-password@127.0.0.1:${smtp.port}`,
      BUILTIN_MAIL_FROM: 'Mailgate <noreply@mailgate.example>',
    });
    options = { smtp: { tls: { ca: smtp.ca }, connectionTimeoutMs: 5_000 } };
  });

  beforeEach(() => {
    factory = new TransportFactory(env, options);
  });

  afterEach(async () => {
    await factory.onApplicationShutdown();
    smtp.reset();
  });

  afterAll(async () => {
    await smtp.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  describe('create()', () => {
    it.each<[ProviderTransportConfig, string, new (...args: never[]) => MailTransport]>([
      [
        {
          type: 'custom',
          options: {
            host: 'smtp.example.com',
            port: 587,
            login: 'a@example.com',
            password: 'x',
          },
        },
        'provider:custom',
        SmtpTransport,
      ],
      [
        { type: 'ali', options: { mailbox: 'a@example.cn', password: 'x' } },
        'provider:ali',
        SmtpTransport,
      ],
      [
        { type: 'qq', options: { mailbox: 'a@example.cn', password: 'x' } },
        'provider:qq',
        SmtpTransport,
      ],
      [
        { type: 'sendgrid', options: { from: 'a@example.com', apiKey: 'SG.key.value' } },
        'provider:sendgrid',
        SendGridTransport,
      ],
    ])('maps %j to %s', async (config, name, kind) => {
      const transport = factory.create(config);
      try {
        expect(transport).toBeInstanceOf(kind);
        expect(transport.name).toBe(name);
      } finally {
        await transport.close();
      }
    });

    it.each<[ProviderTransportConfig, number]>([
      [{ type: 'ali', options: { mailbox: 'a@example.cn', password: 'x' } }, 3],
      [{ type: 'qq', options: { mailbox: 'a@example.cn', password: 'x' } }, 3],
      [{ type: 'sendgrid', options: { from: 'a@example.com', apiKey: 'SG.key.value' } }, 16],
      [
        {
          type: 'sendgrid',
          options: { from: 'a@example.com', apiKey: 'SG.key.value' },
          concurrency: { maxConnections: 40 },
        },
        40,
      ],
    ])('sizes %j for %d messages at once', async (config, expected) => {
      const transport = factory.create(config) as SmtpTransport | SendGridTransport;
      try {
        expect(transport.maxConcurrency).toBe(expected);
      } finally {
        await transport.close();
      }
    });

    it("opens the tenant's SMTP pool size and recycles connections after maxMessagesPerConnection", async () => {
      const wide = factory.create({
        ...customConfig(),
        concurrency: { maxConnections: 4 },
      }) as SmtpTransport;
      expect(wide.maxConcurrency).toBe(4);
      await Promise.all(
        Array.from({ length: 12 }, (_, i) => wide.send({ ...message, messageId: `wide-${i}` })),
      );
      expect(smtp.connections).toBeGreaterThan(1);
      expect(smtp.connections).toBeLessThanOrEqual(4);
      await wide.close();
      smtp.reset();
      const narrow = factory.create({
        ...customConfig(),
        concurrency: { maxConnections: 1, maxMessagesPerConnection: 2 },
      });
      await Promise.all(
        Array.from({ length: 6 }, (_, i) => narrow.send({ ...message, messageId: `narrow-${i}` })),
      );
      expect(smtp.connections).toBe(3);
      await narrow.close();
    });

    it('builds a new adapter every time (the caller closes it)', async () => {
      const first = factory.create(customConfig());
      const second = factory.create(customConfig());
      expect(first).not.toBe(second);
      await expect(first.verify()).resolves.toBeUndefined();
      await Promise.all([first.close(), second.close()]);
    });

    it('fails loudly for a type without an adapter', () => {
      expect(() =>
        factory.create({ type: 'mailgun' } as unknown as ProviderTransportConfig),
      ).toThrow('Unhandled provider type');
    });

    it('turns an unusable config into a config DeliveryError', () => {
      expect(
        thrownBy(() =>
          factory.create({
            type: 'sendgrid',
            options: { from: 'a@example.com', apiKey: '' },
          }),
        ),
      ).toMatchObject({ errorClass: 'config' });
    });
  });

  describe('forTenant()', () => {
    it('reuses the adapter while (tenant, version) is unchanged', () => {
      const first = factory.forTenant('tenant-a', 3, customConfig());
      expect(factory.forTenant('tenant-a', 3, customConfig())).toBe(first);
    });

    it('keeps tenants apart', () => {
      expect(factory.forTenant('tenant-a', 1, customConfig())).not.toBe(
        factory.forTenant('tenant-b', 1, customConfig()),
      );
    });

    it('rebuilds on a new version and closes the old adapter', async () => {
      const old = factory.forTenant('tenant-a', 1, customConfig('wrong-password'));
      const current = factory.forTenant('tenant-a', 2, customConfig());
      expect(current).not.toBe(old);
      await expect(isClosed(old)).resolves.toBe(true);
      await expect(current.send(message)).resolves.toMatchObject({ rejected: [] });
      expect(factory.forTenant('tenant-a', 2, customConfig())).toBe(current);
    });

    it('release() closes and forgets a tenant’s adapter', async () => {
      const first = factory.forTenant('tenant-a', 1, customConfig());
      await factory.release('tenant-a');
      await expect(isClosed(first)).resolves.toBe(true);
      expect(factory.forTenant('tenant-a', 1, customConfig())).not.toBe(first);
      await expect(factory.release('unknown-tenant')).resolves.toBeUndefined();
    });

    it('lets a message in flight on the old adapter finish', async () => {
      const old = factory.forTenant('tenant-a', 1, customConfig());
      const inFlight = old.send(message);
      factory.forTenant('tenant-a', 2, customConfig());
      await expect(inFlight).resolves.toMatchObject({ rejected: [] });
    });
  });

  describe('builtin()', () => {
    it('builds the built-in mailer once from BUILTIN_MAILER_URL and sends as BUILTIN_MAIL_FROM', async () => {
      const builtin = factory.builtin();
      expect(factory.builtin()).toBe(builtin);
      expect(builtin.name).toBe('builtin');
      await builtin.send(message);
      const [received] = await smtp.waitForMessages(1);
      expect(received.user).toBe('mailer@example.test');
      expect(received.parsed.from?.value).toEqual([
        { name: 'Mailgate', address: 'noreply@mailgate.example' },
      ]);
      expect(received.parsed.messageId).toBe('<factory-1@mailgate.example>');
    });

    it('is the capture transport with the default environment', async () => {
      const capture = new TransportFactory(loadEnv({ MAILGATE_DATA_DIR: dataDir })).builtin();
      expect(capture).toBeInstanceOf(CaptureTransport);
      expect(capture.name).toBe('builtin');
    });
  });

  it('closes every adapter at shutdown', async () => {
    const a = factory.forTenant('tenant-a', 1, customConfig());
    const b = factory.forTenant('tenant-b', 7, customConfig());
    const builtin = factory.builtin();
    await factory.onApplicationShutdown();
    await expect(Promise.all([a, b, builtin].map(isClosed))).resolves.toEqual([true, true, true]);
    expect(smtp.messages).toHaveLength(0);
  });

  it('is wired by TransportsModule and closed with the Nest application', async () => {
    @Global()
    @Module({ providers: [{ provide: APP_ENV, useValue: env }], exports: [APP_ENV] })
    class TestEnvModule {}

    @Module({ imports: [TestEnvModule, TransportsModule] })
    class RootModule {}

    const app = await NestFactory.createApplicationContext(RootModule, { logger: false });
    const fromNest = app.get(TransportFactory);
    // Without TRANSPORT_FACTORY_OPTIONS from the app, the real presets apply.
    expect(() => app.get<unknown>(TRANSPORT_FACTORY_OPTIONS)).toThrow();
    const transport = fromNest.forTenant('tenant-a', 1, customConfig());
    await app.close();
    await expect(isClosed(transport)).resolves.toBe(true);
  });
});
