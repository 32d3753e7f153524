import { ALLOW_ALL_EGRESS, PUBLIC_ONLY_EGRESS, type EgressPolicy } from '../common/egress';
import { Writable } from 'node:stream';
import { ApiCode } from '../common/api-code.enum';
import { AppException } from '../common/app.exception';
import { createLogger } from '../common/logger';
import { SecretCipher } from '../common/secret-cipher';
import type { Principal } from '../tenancy/principal';
import type { SendRateLimitDto } from './dto/send-rate-limit.dto';
import type { TenantsService } from '../tenancy/tenants.service';
import { DeliveryError } from '../transports/delivery-error';
import type { MailTransport, OutboundEmail } from '../transports/mail-transport.interface';
import type { ProviderTransportConfig } from '../transports/provider-adapters';
import type { TransportFactory } from '../transports/transport.factory';
import type { ConfigEmailProviderDto } from './dto/config-email-provider.dto';
import type { ProviderErrorDto } from './dto/email-provider.dto';
import { ProviderConfigAuditEntity } from './provider-config-audit.entity';
import { SECRET_MASK } from './provider-config.constants';
import { ProviderConfigEntity } from './provider-config.entity';
import { ProviderConfigMapper } from './provider-config.mapper';
import { ProviderConfigReader } from './provider-config.reader';
import type { ProviderConfigRepository, SavePlan } from './provider-config.repository';
import { ProviderConfigService } from './provider-config.service';

/** In-memory stand-in for the repository: same contract, no database. */
class FakeRepository {
  rows = new Map<string, ProviderConfigEntity>();
  audit: ProviderConfigAuditEntity[] = [];
  verifications: Array<{ version: number; error: ProviderErrorDto | null }> = [];

  async health(): Promise<null> {
    return null;
  }

  async find(tenantId: string): Promise<ProviderConfigEntity | null> {
    return this.rows.get(tenantId) ?? null;
  }

  async save(
    tenantId: string,
    actorKeyId: string | null,
    plan: (current: ProviderConfigEntity | null) => SavePlan | null,
  ): Promise<ProviderConfigEntity> {
    const current = this.rows.get(tenantId) ?? null;
    const decided = plan(current);
    if (decided === null) {
      return current!;
    }
    const now = new Date();
    const row = Object.assign(new ProviderConfigEntity(), {
      tenantId,
      type: decided.write.type,
      enabled: decided.write.enabled,
      config: decided.write.config,
      fallbackOnFailure: decided.write.fallbackOnFailure,
      concurrency: decided.write.concurrency,
      rateLimit: decided.write.rateLimit,
      version: (current?.version ?? 0) + 1,
      lastVerifiedAt: decided.write.resetVerification ? null : (current?.lastVerifiedAt ?? null),
      lastVerifyError: decided.write.resetVerification ? null : (current?.lastVerifyError ?? null),
      updatedBy: actorKeyId,
      createdAt: current?.createdAt ?? now,
      updatedAt: now,
    });
    this.rows.set(tenantId, row);
    this.audit.push(
      Object.assign(new ProviderConfigAuditEntity(), {
        id: String(this.audit.length + 1),
        tenantId,
        version: row.version,
        action: decided.action,
        actorKeyId,
        changes: decided.changes,
        createdAt: now,
      }),
    );
    return row;
  }

  async recordVerification(
    tenantId: string,
    version: number,
    _actorKeyId: string | null,
    error: ProviderErrorDto | null,
  ): Promise<boolean> {
    const row = this.rows.get(tenantId);
    if (row === undefined || row.version !== version) {
      return false;
    }
    row.lastVerifiedAt = new Date();
    row.lastVerifyError = error;
    this.verifications.push({ version, error });
    return true;
  }
}

class FakeTransport implements MailTransport {
  readonly name = 'fake';
  readonly maxConcurrency = 1;
  closed = false;
  sent: OutboundEmail[] = [];
  constructor(
    readonly config: ProviderTransportConfig,
    private readonly failure?: Error,
  ) {}
  async verify(): Promise<void> {
    if (this.failure !== undefined) {
      throw this.failure;
    }
  }
  async send(message: OutboundEmail) {
    if (this.failure !== undefined) {
      throw this.failure;
    }
    this.sent.push(message);
    return { providerMessageId: 'queue-1', accepted: [message.to[0].email], rejected: [] };
  }
  async close(): Promise<void> {
    this.closed = true;
  }
}

const principal: Principal = {
  tenantId: 'tenant-a',
  keyId: 'mgk_0123456789abcdef',
  scopes: ['provider:write'],
  root: false,
};
const smtpBody: ConfigEmailProviderDto = {
  type: 'custom',
  enabled: true,
  smtpConfig: {
    smtp_host: 'smtp.example.test',
    smtp_port: 465,
    sender: 'm@example.test',
    senderPass: 'top-secret-pass',
    secure: true,
  },
};

/** smtpBody as its transport sees it (transports/ know their own options, not GenAuth's block). */
const smtpTransport: ProviderTransportConfig = {
  type: 'custom',
  options: {
    host: 'smtp.example.test',
    port: 465,
    login: 'm@example.test',
    password: 'top-secret-pass',
    secure: true,
  },
};

function withHost(smtp_host: string): ConfigEmailProviderDto {
  return {
    type: 'custom',
    enabled: true,
    smtpConfig: {
      smtp_host,
      smtp_port: 465,
      sender: 'm@example.test',
      senderPass: 'pw',
      secure: true,
    },
  };
}

function setup(failure?: Error, egress: EgressPolicy = ALLOW_ALL_EGRESS) {
  const repository = new FakeRepository();
  const mapper = new ProviderConfigMapper(
    new SecretCipher([{ id: 'k1', key: Buffer.alloc(32, 3) }]),
  );
  const transports: FakeTransport[] = [];
  const factory = {
    create: (config: ProviderTransportConfig) => {
      const transport = new FakeTransport(config, failure);
      transports.push(transport);
      return transport;
    },
  } as unknown as TransportFactory;
  const tenants = { ensureTenant: jest.fn(async () => undefined) } as unknown as TenantsService;
  const logs: string[] = [];
  const logger = createLogger({
    level: 'debug',
    destination: new Writable({
      write(chunk: Buffer, _encoding, callback) {
        logs.push(chunk.toString());
        callback();
      },
    }),
  });
  const repo = repository as unknown as ProviderConfigRepository;
  const reader = new ProviderConfigReader(repo, mapper);
  const service = new ProviderConfigService(repo, mapper, reader, factory, tenants, logger, {
    egress,
  });
  return { service, repository, transports, logs, tenants, reader };
}

describe('ProviderConfigService', () => {
  it.each(['127.0.0.1', '10.0.0.1', '169.254.169.254', '::1', '::ffff:127.0.0.1'])(
    'refuses literal SMTP host %s at save, verify and test-send when the egress policy denies it',
    async (host) => {
      const { service, repository, transports } = setup(undefined, PUBLIC_ONLY_EGRESS);
      const body = withHost(host);
      const named = (field: string) =>
        expect.objectContaining({
          data: { errors: [expect.objectContaining({ field })] },
        }) as unknown;
      await expect(service.configure(principal, body)).rejects.toEqual(
        named('smtpConfig.smtp_host'),
      );
      await expect(service.verify(principal, body)).rejects.toEqual(named('smtpConfig.smtp_host'));
      await expect(
        service.sendTest(principal, { email: 'to@example.test', config: body }),
      ).rejects.toEqual(named('config.smtpConfig.smtp_host'));
      expect(repository.rows.size).toBe(0);
      expect(transports).toHaveLength(0);
    },
  );

  it('saves a literal private SMTP host when the policy allows its CIDR', async () => {
    const { service } = setup(undefined, { allowAll: false, allowedCidrs: ['10.20.0.0/16'] });
    const body = withHost('10.20.3.4');
    await expect(service.configure(principal, body)).resolves.toMatchObject({ version: 1 });
  });

  it('saves version 1, then bumps the version on each change and audits it', async () => {
    const { service, repository, tenants } = setup();
    const first = await service.configure(principal, smtpBody);
    expect(first).toMatchObject({
      version: 1,
      type: 'custom',
      smtpConfig: { senderPass: SECRET_MASK },
    });
    expect(tenants.ensureTenant).toHaveBeenCalledWith('tenant-a');
    const second = await service.configure(principal, { ...smtpBody, enabled: false });
    expect(second.version).toBe(2);
    expect(repository.audit.map((a) => [a.version, a.action, a.actorKeyId])).toEqual([
      [1, 'create', principal.keyId],
      [2, 'update', principal.keyId],
    ]);
    expect(repository.audit[1].changes).toEqual({ enabled: { old: true, new: false } });
  });

  it('writes nothing for an identical body (mask included)', async () => {
    const { service, repository } = setup();
    await service.configure(principal, smtpBody);
    const again = await service.configure(principal, {
      ...smtpBody,
      smtpConfig: { ...smtpBody.smtpConfig!, senderPass: SECRET_MASK },
    });
    expect(again.version).toBe(1);
    expect(repository.audit).toHaveLength(1);
  });

  it('refuses a save based on a stale version (optimistic lock) and accepts the current one', async () => {
    const { service, repository } = setup();
    await service.configure(principal, smtpBody);
    await expect(
      service.configure(principal, { ...smtpBody, enabled: false, version: 1 }),
    ).resolves.toMatchObject({ version: 2 });
    await expect(service.configure(principal, { ...smtpBody, version: 1 })).rejects.toMatchObject({
      apiCode: ApiCode.ProviderConfigChanged,
      status: 409,
    });
    expect(repository.audit).toHaveLength(2);
  });

  it('keeps fallbackOnFailure when a body (e.g. from GenAuth’s SDK) leaves it out', async () => {
    const { service } = setup();
    await service.configure(principal, { ...smtpBody, fallbackOnFailure: true });
    const saved = await service.configure(principal, { ...smtpBody, enabled: false });
    expect(saved.fallbackOnFailure).toBe(true);
  });

  it('stores a rate limit, keeps it when left out, removes it with null or {}, and gives it to the dispatcher', async () => {
    const { service, repository } = setup();
    const first = await service.configure(principal, smtpBody);
    expect(first.rateLimit).toBeNull();
    const limited = await service.configure(principal, {
      ...smtpBody,
      rateLimit: { perSecond: 10 },
    });
    expect(limited).toMatchObject({ version: 2, rateLimit: { perSecond: 10, perDay: null } });
    expect(repository.audit[1].changes).toEqual({
      'rateLimit.perSecond': { old: null, new: 10 },
    });
    // GenAuth's SDK leaves the extension out: the stored limit stays, also while disabled.
    const kept = await service.configure(principal, { ...smtpBody, enabled: false });
    expect(kept.rateLimit).toEqual({ perSecond: 10, perDay: null });
    await expect(service.getActive('tenant-a')).resolves.toMatchObject({
      config: null,
      rateLimit: { perSecond: 10, perDay: null },
    });
    // A read posted back unchanged is no change.
    const again = await service.configure(principal, {
      ...smtpBody,
      enabled: false,
      rateLimit: kept.rateLimit!,
    });
    expect(again.version).toBe(kept.version);
    const daily = await service.configure(principal, {
      ...smtpBody,
      rateLimit: { perDay: 5, perSecond: null },
    });
    expect(daily.rateLimit).toEqual({ perSecond: null, perDay: 5 });
    expect(
      (await service.configure(principal, { ...smtpBody, rateLimit: {} })).rateLimit,
    ).toBeNull();
    await service.configure(principal, { ...smtpBody, rateLimit: { perDay: 5 } });
    // A read shows "unlimited" as null; the validator lets null through (@IsOptional).
    const unlimited = null as unknown as SendRateLimitDto;
    const removed = await service.configure(principal, { ...smtpBody, rateLimit: unlimited });
    expect(removed.rateLimit).toBeNull();
    expect(repository.rows.get('tenant-a')!.rateLimit).toBeNull();
  });

  it('stores concurrency settings that differ from the defaults, keeps them when left out, and shows what applies', async () => {
    const { service, repository } = setup();
    const first = await service.configure(principal, smtpBody);
    expect(first.concurrency).toEqual({ maxConnections: 3, maxMessagesPerConnection: 100 });
    const tuned = await service.configure(principal, {
      ...smtpBody,
      concurrency: { maxConnections: 64, maxMessagesPerConnection: 100 },
    });
    expect(tuned).toMatchObject({
      version: 2,
      concurrency: { maxConnections: 64, maxMessagesPerConnection: 100 },
    });
    // Only the value that differs from the default is stored (and audited).
    expect(repository.rows.get('tenant-a')!.concurrency).toEqual({ maxConnections: 64 });
    expect(repository.audit[1].changes).toEqual({
      'concurrency.maxConnections': { old: null, new: 64 },
    });
    // GenAuth's SDK leaves the extension out: the stored settings stay.
    const kept = await service.configure(principal, { ...smtpBody, enabled: false });
    expect(kept.concurrency.maxConnections).toBe(64);
    // A read posted back unchanged is no change.
    const again = await service.configure(principal, {
      ...smtpBody,
      enabled: false,
      concurrency: kept.concurrency,
    });
    expect(again.version).toBe(kept.version);
    await service.configure(principal, smtpBody);
    await expect(service.getActive('tenant-a')).resolves.toMatchObject({
      config: { type: 'custom', concurrency: { maxConnections: 64 } },
    });
    // `{}` restores the defaults; SendGrid has no messages-per-connection.
    const reset = await service.configure(principal, { ...smtpBody, concurrency: {} });
    expect(reset.concurrency).toEqual({ maxConnections: 3, maxMessagesPerConnection: 100 });
    const sendGrid = await service.configure(principal, {
      type: 'sendgrid',
      enabled: true,
      sendGridConfig: { sender: 'mailer@example.test', apikey: 'SG.key-0123456789' },
      concurrency: { maxMessagesPerConnection: 5 },
    });
    expect(sendGrid.concurrency).toEqual({ maxConnections: 16, maxMessagesPerConnection: null });
    expect(repository.rows.get('tenant-a')!.concurrency).toEqual({});
  });

  it('gives the dispatcher decrypted config, null config when disabled, and the version', async () => {
    const { service } = setup();
    await expect(service.getActive('tenant-a')).resolves.toBeNull();
    await service.configure(principal, smtpBody);
    await expect(service.getActive('tenant-a')).resolves.toEqual({
      version: 1,
      enabled: true,
      fallbackOnFailure: false,
      rateLimit: null,
      config: smtpTransport,
    });
    await service.configure(principal, { ...smtpBody, enabled: false });
    await expect(service.getActive('tenant-a')).resolves.toMatchObject({
      version: 2,
      enabled: false,
      config: null,
    });
  });

  it('throws a config DeliveryError to the dispatcher when the enabled secret cannot be decrypted', async () => {
    const { service, repository } = setup();
    await service.configure(principal, smtpBody);
    const row = repository.rows.get('tenant-a')!;
    repository.rows.set(
      'tenant-b',
      Object.assign(new ProviderConfigEntity(), { ...row, tenantId: 'tenant-b' }),
    );
    const error = await service.getActive('tenant-b').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DeliveryError);
    expect(error).toMatchObject({ errorClass: 'config', code: 'SECRET_UNREADABLE' });
  });

  it('verifies the saved config, closes the transport and stores the outcome', async () => {
    const { service, repository, transports } = setup();
    await service.configure(principal, smtpBody);
    await expect(service.verify(principal, {})).resolves.toEqual({ ok: true });
    expect(transports).toHaveLength(1);
    expect(transports[0].closed).toBe(true);
    expect(transports[0].config).toEqual(smtpTransport);
    expect(repository.verifications).toEqual([{ version: 1, error: null }]);
    await expect(service.get('tenant-a')).resolves.toMatchObject({
      lastVerifiedAt: expect.any(String),
      lastVerifyError: null,
    });
  });

  it('reports a DeliveryError as a safe error and stores it on the saved config', async () => {
    const failure = new DeliveryError('auth', 'SMTP authentication failed (535)', {
      status: 535,
      code: 'SMTP_535',
    });
    const { service, repository, transports } = setup(failure);
    await service.configure(principal, smtpBody);
    const result = await service.verify(principal, {});
    const expected = {
      class: 'auth',
      code: 'SMTP_535',
      status: 535,
      message: 'SMTP authentication failed (535)',
    };
    expect(result).toEqual({ ok: false, error: expected });
    expect(transports[0].closed).toBe(true);
    expect(repository.verifications).toEqual([{ version: 1, error: expected }]);
  });

  it('never passes on the text of an unexpected error', async () => {
    const { service, logs } = setup(new Error('535 auth failed for top-secret-pass'));
    await service.configure(principal, smtpBody);
    const result = await service.verify(principal, {});
    expect(result).toEqual({
      ok: false,
      error: { class: 'transient', code: 'UNEXPECTED', message: expect.any(String) },
    });
    expect(JSON.stringify(result)).not.toContain('top-secret-pass');
    expect(logs.join('\n')).not.toContain('top-secret-pass');
  });

  it('verifies an unsaved config without storing anything, resolving the mask against the saved one', async () => {
    const { service, repository, transports } = setup();
    await service.configure(principal, smtpBody);
    const result = await service.verify(principal, {
      type: 'custom',
      smtpConfig: { ...smtpBody.smtpConfig!, senderPass: SECRET_MASK },
    });
    expect(result).toEqual({ ok: true });
    expect(transports[0].config).toEqual(smtpTransport);
    expect(repository.verifications).toEqual([]);
    const moved = service.verify(principal, {
      type: 'custom',
      smtpConfig: {
        ...smtpBody.smtpConfig!,
        smtp_host: 'evil.example.test',
        senderPass: SECRET_MASK,
      },
    });
    await expect(moved).rejects.toMatchObject({ apiCode: ApiCode.SecretRequired });
    expect(transports).toHaveLength(1);
  });

  it('answers 404 for verify and test-send when nothing is saved and no config is given', async () => {
    const { service } = setup();
    await expect(service.verify(principal, {})).rejects.toBeInstanceOf(AppException);
    await expect(service.verify(principal, {})).rejects.toMatchObject({
      apiCode: ApiCode.ProviderConfigNotFound,
      status: 404,
    });
    await expect(service.sendTest(principal, { email: 'ada@example.test' })).rejects.toMatchObject({
      status: 404,
    });
  });

  it('reports a saved config without the chosen block as a config error, without a transport', async () => {
    const { service, transports } = setup();
    await service.configure(principal, { type: 'sendgrid', enabled: false });
    const result = await service.verify(principal, {});
    expect(result).toMatchObject({
      ok: false,
      error: { class: 'config', code: 'CONFIG_INCOMPLETE' },
    });
    expect(transports).toHaveLength(0);
  });

  it('sends a labelled test message and reports the provider id', async () => {
    const { service, transports } = setup();
    await service.configure(principal, smtpBody);
    const result = await service.sendTest(principal, { email: 'ada@example.test' });
    expect(result).toEqual({
      ok: true,
      providerMessageId: 'queue-1',
      accepted: ['ada@example.test'],
      rejected: [],
    });
    const [message] = transports[0].sent;
    expect(message.to).toEqual([{ email: 'ada@example.test' }]);
    expect(message.subject).toMatch(/mailgate test/);
    expect(message.text).toMatch(/test message from mailgate/);
    expect(transports[0].closed).toBe(true);
  });

  it('never logs a secret while saving, verifying or sending', async () => {
    const { service, logs } = setup(
      new DeliveryError('transient', 'SMTP connection failed', { code: 'ECONNECTION' }),
    );
    await service.configure(principal, smtpBody);
    await service.verify(principal, {});
    await service.sendTest(principal, {
      email: 'ada@example.test',
      config: {
        type: 'sendgrid',
        sendGridConfig: { sender: 'n@example.test', apikey: 'SG.given-key' },
      },
    });
    const text = logs.join('\n');
    expect(text).toContain('provider config saved');
    expect(text).not.toMatch(/top-secret-pass|SG\.given-key/);
  });
});
