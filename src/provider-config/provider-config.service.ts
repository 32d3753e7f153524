import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import { ApiCode } from '../common/api-code.enum';
import { AppException, ValidationException } from '../common/app.exception';
import { parseMailbox, type Mailbox } from '../common/addresses';
import { deniedLiteralHost } from '../common/egress';
import { APP_ENV } from '../config/app-env.constants';
import type { AppEnv } from '../config/env';
import { LOGGER } from '../common/logger.constants';
import type { Principal } from '../tenancy/principal';
import { TenantsService } from '../tenancy/tenants.service';
import { DeliveryError } from '../transports/delivery-error';
import type { MailTransport } from '../transports/mail-transport.interface';
import type { ProviderTransportConfig } from '../transports/provider-adapters';
import { storedConcurrency } from '../transports/provider-concurrency';
import { TransportFactory } from '../transports/transport.factory';
import { connectionChanged, diffConfigs, type PlainProviderConfig } from './audit-diff';
import type { ConfigEmailProviderDto } from './dto/config-email-provider.dto';
import type {
  EmailProviderDto,
  EmailProviderHistoryDto,
  ProviderErrorDto,
  SendTestEmailResultDto,
  VerifyEmailProviderResultDto,
} from './dto/email-provider.dto';
import type { EmailProviderHistoryQueryDto } from './dto/email-provider-history-query.dto';
import {
  namesCandidate,
  type ProviderConfigCandidateDto,
  type VerifyEmailProviderDto,
} from './dto/provider-config-candidate.dto';
import type { SendTestEmailDto } from './dto/send-test-email.dto';
import { BLOCK_OF_TYPE, TEST_EMAIL_SUBJECT, testEmailText } from './provider-config.constants';
import type { ProviderConfigEntity } from './provider-config.entity';
import { hasUnreadableSecret, ProviderConfigMapper, toResolved } from './provider-config.mapper';
import { ProviderConfigReader } from './provider-config.reader';
import { ProviderConfigRepository } from './provider-config.repository';
import type { ActiveProviderConfig } from './provider-config.types';
import { mergeMaskedSecrets } from './secret-merge';
import { storedRateLimit } from './send-rate-limit';

/** The test-send recipient, already checked by the DTO through the same address module. */
function testRecipient(value: string): Mailbox {
  const parsed = parseMailbox(value);
  if (!parsed.ok) {
    throw new ValidationException([{ field: 'email', messages: [parsed.problem] }]);
  }
  return parsed.value;
}

/** Verification has nothing to report beyond success. */
async function verifyOnly(transport: MailTransport): Promise<object> {
  await transport.verify();
  return {};
}

/** A config ready for a transport, or why the saved one cannot be used. */
type Usable = { config: ProviderTransportConfig } | { error: ProviderErrorDto };

/** The admin side of a tenant's email provider: save, read, history, verify and test-send. */
@Injectable()
export class ProviderConfigService {
  private readonly log: Logger;

  constructor(
    private readonly repository: ProviderConfigRepository,
    private readonly mapper: ProviderConfigMapper,
    private readonly reader: ProviderConfigReader,
    private readonly transports: TransportFactory,
    private readonly tenants: TenantsService,
    @Inject(LOGGER) logger: Logger,
    @Inject(APP_ENV) private readonly env: Pick<AppEnv, 'egress'>,
  ) {
    this.log = logger.child({ module: 'provider-config' });
  }

  /** For the dispatcher: see ProviderConfigReader.getActive (secrets decrypted, in memory only). */
  getActive(tenantId: string): Promise<ActiveProviderConfig | null> {
    return this.reader.getActive(tenantId);
  }

  /** The saved config with secrets masked, or null when the tenant never saved one. */
  async get(tenantId: string): Promise<EmailProviderDto | null> {
    const row = await this.repository.find(tenantId);
    return row === null ? null : this.toDto(row);
  }

  /** The answer for a saved row, with its circuit breaker's state. */
  private async toDto(row: ProviderConfigEntity): Promise<EmailProviderDto> {
    return this.mapper.toDto(row, await this.repository.health(row.tenantId, row.version));
  }

  /**
   * Saves the whole config (the body replaces the stored one: blocks it leaves out are dropped),
   * keeping masked secrets per the mask rules. A change bumps the version and is audited in the
   * same transaction; an identical body changes nothing.
   */
  async configure(principal: Principal, dto: ConfigEmailProviderDto): Promise<EmailProviderDto> {
    const { tenantId } = principal;
    this.assertEgressAllowed(dto, 'smtpConfig');
    const input = this.mapper.fromInput(dto);
    // The config row references tenants(id); a root-key request may name a tenant never seen.
    await this.tenants.ensureTenant(tenantId);
    let changed: string[] = [];
    const saved = await this.repository.save(tenantId, principal.keyId, (current) => {
      if (dto.version !== undefined && dto.version !== current?.version) {
        throw new AppException(
          ApiCode.ProviderConfigChanged,
          `The provider config changed since version ${dto.version} was read (now ${current?.version ?? 'none'}): read it again`,
        );
      }
      const before = current === null ? null : this.mapper.toPlain(current);
      const after: PlainProviderConfig = {
        type: dto.type,
        enabled: dto.enabled,
        fallbackOnFailure: dto.fallbackOnFailure ?? before?.fallbackOnFailure ?? false,
        // Absent keeps the stored settings (GenAuth's SDK never sends them), re-read for the new type.
        concurrency: storedConcurrency(dto.type, dto.concurrency ?? before?.concurrency),
        // Absent keeps the stored limit; null or {} removes it.
        rateLimit:
          dto.rateLimit === undefined
            ? (before?.rateLimit ?? null)
            : storedRateLimit(dto.rateLimit),
        blocks: mergeMaskedSecrets(input, before?.blocks),
      };
      const changes = diffConfigs(before, after);
      changed = Object.keys(changes);
      if (before !== null && changed.length === 0) {
        return null;
      }
      return {
        write: {
          type: after.type,
          enabled: after.enabled,
          fallbackOnFailure: after.fallbackOnFailure,
          concurrency: after.concurrency,
          rateLimit: after.rateLimit,
          config: this.mapper.encrypt(tenantId, after.blocks),
          resetVerification: connectionChanged(before, after, changes),
        },
        action: before === null ? 'create' : 'update',
        changes,
      };
    });
    this.log.info(
      {
        tenantId,
        actorKeyId: principal.keyId,
        version: saved.version,
        type: saved.type,
        enabled: saved.enabled,
        changed,
      },
      changed.length === 0 ? 'provider config unchanged' : 'provider config saved',
    );
    return this.toDto(saved);
  }

  async history(
    tenantId: string,
    query: EmailProviderHistoryQueryDto,
  ): Promise<EmailProviderHistoryDto> {
    const page = await this.repository.history(tenantId, query.limit, query.cursor);
    return {
      list: page.rows.map((row) => this.mapper.toAuditEntry(row)),
      nextCursor: page.nextCursor,
    };
  }

  /**
   * Connects and authenticates without sending. An empty body checks the saved config and stores
   * the outcome on it; otherwise the body is an unsaved config (masks resolved against the saved one).
   */
  async verify(
    principal: Principal,
    dto: VerifyEmailProviderDto,
  ): Promise<VerifyEmailProviderResultDto> {
    if (namesCandidate(dto)) {
      this.assertEgressAllowed(dto, 'smtpConfig');
      const config = await this.candidate(principal.tenantId, dto as ProviderConfigCandidateDto);
      return this.run(principal, 'verify', { config }, verifyOnly);
    }
    const row = await this.savedOrThrow(principal.tenantId);
    const result = await this.run(principal, 'verify', this.usable(row), verifyOnly);
    await this.repository.recordVerification(
      principal.tenantId,
      row.version,
      principal.keyId,
      result.ok ? null : result.error,
    );
    return result;
  }

  /** Sends one real test message to `dto.email` with the given config, else the saved one (enabled or not). */
  async sendTest(principal: Principal, dto: SendTestEmailDto): Promise<SendTestEmailResultDto> {
    if (dto.config !== undefined) {
      this.assertEgressAllowed(dto.config, 'config.smtpConfig');
    }
    const usable =
      dto.config === undefined
        ? this.usable(await this.savedOrThrow(principal.tenantId))
        : { config: await this.candidate(principal.tenantId, dto.config) };
    return this.run(principal, 'test-send', usable, async (transport, config) => {
      const sent = await transport.send({
        messageId: `mailgate-test-${randomUUID()}`,
        to: [testRecipient(dto.email)],
        subject: TEST_EMAIL_SUBJECT,
        text: testEmailText(config.type),
      });
      return {
        providerMessageId: sent.providerMessageId,
        accepted: sent.accepted,
        rejected: sent.rejected,
      };
    });
  }

  /**
   * Save-time half of the egress policy: a literal SMTP host the policy denies is refused with its
   * field named. Host names are judged after DNS, when connecting (EGRESS_DENIED).
   */
  private assertEgressAllowed(dto: { smtpConfig?: { smtp_host?: string } }, field: string): void {
    const host = dto.smtpConfig?.smtp_host;
    const reason = host === undefined ? undefined : deniedLiteralHost(host, this.env.egress);
    if (reason !== undefined) {
      throw new ValidationException([
        { field: `${field}.smtp_host`, messages: [`smtp_host ${reason}`] },
      ]);
    }
  }

  private async savedOrThrow(tenantId: string): Promise<ProviderConfigEntity> {
    const row = await this.repository.find(tenantId);
    if (row === null) {
      throw new AppException(
        ApiCode.ProviderConfigNotFound,
        'No email provider config is saved for this tenant: save one first, or send a config in the body',
      );
    }
    return row;
  }

  /** The saved config in the transport's shape, or why it cannot be used as it is. */
  private usable(row: ProviderConfigEntity): Usable {
    const blocks = this.mapper.decrypt(row.tenantId, row.config);
    if (hasUnreadableSecret(row.type, blocks)) {
      return {
        error: {
          class: 'config',
          code: 'SECRET_UNREADABLE',
          message:
            'The stored secret cannot be decrypted with the current MAILGATE_SECRET_KEY: save the config again with the secret',
        },
      };
    }
    const config = toResolved(row.type, blocks, row.concurrency);
    if (config === null) {
      return {
        error: {
          class: 'config',
          code: 'CONFIG_INCOMPLETE',
          message: `The saved config has type '${row.type}' but no ${BLOCK_OF_TYPE[row.type]}`,
        },
      };
    }
    return { config };
  }

  /** An unsaved config from a request, masked secrets taken from the saved config when allowed. */
  private async candidate(
    tenantId: string,
    dto: ProviderConfigCandidateDto,
  ): Promise<ProviderTransportConfig> {
    const row = await this.repository.find(tenantId);
    const stored = row === null ? undefined : this.mapper.decrypt(tenantId, row.config);
    const blocks = mergeMaskedSecrets(this.mapper.fromInput(dto), stored);
    const config = toResolved(dto.type, blocks);
    if (config === null) {
      // The DTO requires the chosen type's block, so this is a programming error.
      throw new Error(`candidate config of type ${dto.type} has no block`);
    }
    return config;
  }

  /** Builds an uncached transport, runs `fn`, always closes it; failures become a safe `error`. */
  private async run<T extends object>(
    principal: Principal,
    what: 'verify' | 'test-send',
    usable: Usable,
    fn: (transport: MailTransport, config: ProviderTransportConfig) => Promise<T>,
  ): Promise<({ ok: true } & T) | { ok: false; error: ProviderErrorDto }> {
    const context = { tenantId: principal.tenantId, actorKeyId: principal.keyId };
    if ('error' in usable) {
      this.log.info({ ...context, error: usable.error }, `provider ${what} impossible`);
      return { ok: false, error: usable.error };
    }
    let transport: MailTransport | undefined;
    try {
      transport = this.transports.create(usable.config);
      const value = await fn(transport, usable.config);
      this.log.info({ ...context, type: usable.config.type }, `provider ${what} succeeded`);
      return { ok: true, ...value };
    } catch (error) {
      const safe = this.toProviderError(error, context);
      this.log.info(
        { ...context, type: usable.config.type, error: safe },
        `provider ${what} failed`,
      );
      return { ok: false, error: safe };
    } finally {
      await transport?.close().catch(() => undefined);
    }
  }

  private toProviderError(error: unknown, context: Record<string, unknown>): ProviderErrorDto {
    if (error instanceof DeliveryError) {
      const json = error.toJSON();
      return json.status === undefined
        ? { class: json.class, code: json.code, message: json.message }
        : json;
    }
    // Not mapped by the transport layer: its text may quote a server or a secret, so only the name is logged.
    this.log.error(
      { ...context, errorName: error instanceof Error ? error.name : typeof error },
      'unexpected error from a transport',
    );
    return {
      class: 'transient',
      code: 'UNEXPECTED',
      message: 'The provider check failed unexpectedly',
    };
  }
}
