import { Injectable } from '@nestjs/common';
import { Database, type Sql } from '../config/database';
import type { ProviderErrorDto } from './dto/email-provider.dto';
import { ProviderConfigAuditEntity } from './provider-config-audit.entity';
import type { AuditAction } from './provider-config.constants';
import { ProviderConfigEntity } from './provider-config.entity';
import type { ProviderConcurrencySettings } from '../transports/provider-concurrency';
import type { ProviderBlocks } from './provider-config.types';
import type { ProviderType } from './provider-type.enum';
import type { SendRateLimit } from './send-rate-limit';

/** The row a save writes; version, timestamps and the verification result are the repository's. */
export interface ProviderConfigWrite {
  type: ProviderType;
  enabled: boolean;
  fallbackOnFailure: boolean;
  concurrency: ProviderConcurrencySettings;
  rateLimit: SendRateLimit | null;
  /** Secrets already encrypted. */
  config: ProviderBlocks;
  /** False when the type and its block are unchanged, so the last verification still applies. */
  resetVerification: boolean;
}

/** What a planner decides inside the save transaction; null means "no change, write nothing". */
export interface SavePlan {
  write: ProviderConfigWrite;
  action: Extract<AuditAction, 'create' | 'update'>;
  changes: Record<string, unknown>;
}

export interface AuditPage {
  rows: ProviderConfigAuditEntity[];
  /** Id to continue below, when there are older rows. */
  nextCursor: string | null;
}

interface ConfigRow {
  tenant_id: string;
  type: ProviderType;
  enabled: boolean;
  config: ProviderBlocks;
  fallback_on_failure: boolean;
  concurrency: ProviderConcurrencySettings;
  rate_limit: SendRateLimit | null;
  version: number;
  last_verified_at: Date | null;
  last_verify_error: ProviderErrorDto | null;
  updated_by: string | null;
  created_at: Date;
  updated_at: Date;
}

function toEntity(row: ConfigRow): ProviderConfigEntity {
  return Object.assign(new ProviderConfigEntity(), {
    tenantId: row.tenant_id,
    type: row.type,
    enabled: row.enabled,
    config: row.config,
    fallbackOnFailure: row.fallback_on_failure,
    concurrency: row.concurrency,
    rateLimit: row.rate_limit,
    version: row.version,
    lastVerifiedAt: row.last_verified_at,
    lastVerifyError: row.last_verify_error,
    updatedBy: row.updated_by,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  });
}

/** The circuit breaker's row (provider_health) of one config version. */
export interface HealthRow {
  state: 'closed' | 'open' | 'half_open';
  reason: 'failures' | 'auth' | null;
  consecutiveFailures: number;
  since: Date;
  retryAt: Date | null;
  lastError: ProviderErrorDto | null;
}

/** Advisory-lock class of provider-config writes (two-int form: its own key space). */
const LOCK_CLASS = 0x6d670001;

interface AuditRow {
  id: string;
  tenant_id: string;
  version: number;
  action: AuditAction;
  actor_key_id: string | null;
  changes: Record<string, unknown>;
  created_at: Date;
}

/** The provider configuration aggregate in SQL: the config row and its audit trail. */
@Injectable()
export class ProviderConfigRepository {
  constructor(private readonly db: Database) {}

  async find(tenantId: string): Promise<ProviderConfigEntity | null> {
    const rows = await this.db.query<ConfigRow>(
      'SELECT * FROM email_provider_configs WHERE tenant_id = $1',
      [tenantId],
    );
    return rows.length === 0 ? null : toEntity(rows[0]);
  }

  /** The circuit breaker of `version` (src/emails/scheduling/circuit-breaker.ts); null: closed, never failed. */
  async health(tenantId: string, version: number): Promise<HealthRow | null> {
    const rows = await this.db.query<{
      state: HealthRow['state'];
      reason: HealthRow['reason'];
      consecutive_failures: number;
      since: Date;
      retry_at: Date | null;
      last_error: ProviderErrorDto | null;
    }>(
      `SELECT state, reason, consecutive_failures, since, retry_at, last_error
       FROM provider_health WHERE tenant_id = $1 AND config_version = $2`,
      [tenantId, version],
    );
    const row = rows[0];
    return row === undefined
      ? null
      : {
          state: row.state,
          reason: row.reason,
          consecutiveFailures: row.consecutive_failures,
          since: row.since,
          retryAt: row.retry_at,
          lastError: row.last_error,
        };
  }

  /**
   * Saves a change and its audit row in one transaction. Writers of one tenant are serialized
   * (advisory lock) so `plan` sees the row it replaces; the version is bumped in the upsert
   * itself. Returns the row as stored, or the current one when `plan` finds nothing to change.
   */
  async save(
    tenantId: string,
    actorKeyId: string | null,
    plan: (current: ProviderConfigEntity | null) => SavePlan | null,
  ): Promise<ProviderConfigEntity> {
    return this.db.transaction(async (tx) => {
      await tx.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [LOCK_CLASS, tenantId]);
      const currentRows = await tx.query<ConfigRow>(
        'SELECT * FROM email_provider_configs WHERE tenant_id = $1',
        [tenantId],
      );
      const current = currentRows.length === 0 ? null : toEntity(currentRows[0]);
      const decided = plan(current);
      if (decided === null) {
        // Only reachable with a current row: a first save always changes something.
        return current as ProviderConfigEntity;
      }
      const { write } = decided;
      const rows = await tx.query<ConfigRow>(
        `INSERT INTO email_provider_configs AS c
           (tenant_id, type, enabled, config, fallback_on_failure, version, updated_by, concurrency, rate_limit)
         VALUES ($1, $2, $3, $4::jsonb, $5, 1, $6, $8::jsonb, $9::jsonb)
         ON CONFLICT (tenant_id) DO UPDATE SET
           type = EXCLUDED.type,
           enabled = EXCLUDED.enabled,
           config = EXCLUDED.config,
           fallback_on_failure = EXCLUDED.fallback_on_failure,
           concurrency = EXCLUDED.concurrency,
           rate_limit = EXCLUDED.rate_limit,
           version = c.version + 1,
           updated_by = EXCLUDED.updated_by,
           updated_at = now(),
           last_verified_at = CASE WHEN $7 THEN NULL ELSE c.last_verified_at END,
           last_verify_error = CASE WHEN $7 THEN NULL ELSE c.last_verify_error END
         RETURNING *`,
        [
          tenantId,
          write.type,
          write.enabled,
          JSON.stringify(write.config),
          write.fallbackOnFailure,
          actorKeyId,
          write.resetVerification,
          JSON.stringify(write.concurrency),
          write.rateLimit === null ? null : JSON.stringify(write.rateLimit),
        ],
      );
      const saved = toEntity(rows[0]);
      await this.insertAudit(
        tx,
        tenantId,
        saved.version,
        decided.action,
        actorKeyId,
        decided.changes,
      );
      return saved;
    });
  }

  /**
   * Stores a verification result on the saved config, only if it is still `version` (a save in
   * between made the result stale), with an audit row. Returns false when it was stale.
   */
  async recordVerification(
    tenantId: string,
    version: number,
    actorKeyId: string | null,
    error: ProviderErrorDto | null,
  ): Promise<boolean> {
    return this.db.transaction(async (tx) => {
      const affected = await tx.execute(
        `UPDATE email_provider_configs
            SET last_verified_at = now(), last_verify_error = $3::jsonb
          WHERE tenant_id = $1 AND version = $2`,
        [tenantId, version, error === null ? null : JSON.stringify(error)],
      );
      if (affected === 0) {
        return false;
      }
      if (error === null) {
        // A verify that connected and authenticated closes the circuit (an auth failure's included).
        await tx.execute(
          `UPDATE provider_health
           SET since = CASE WHEN state <> 'closed' THEN now() ELSE since END, state = 'closed',
               reason = NULL, consecutive_failures = 0, trips = 0, retry_at = NULL,
               probe_message_id = NULL, probe_until = NULL, updated_at = now()
           WHERE tenant_id = $1 AND config_version = $2`,
          [tenantId, version],
        );
      }
      await this.insertAudit(
        tx,
        tenantId,
        version,
        'verify',
        actorKeyId,
        error === null ? { result: 'ok' } : { result: 'failed', error },
      );
      return true;
    });
  }

  /** Audit rows of one tenant, newest first, below `cursor` (an id) when given. */
  async history(tenantId: string, limit: number, cursor?: string): Promise<AuditPage> {
    const found = await this.db.query<AuditRow>(
      `SELECT id, tenant_id, version, action, actor_key_id, changes, created_at
         FROM provider_config_audit
        WHERE tenant_id = $1 AND ($2::bigint IS NULL OR id < $2::bigint)
        ORDER BY id DESC LIMIT $3`,
      [tenantId, cursor ?? null, limit + 1],
    );
    const rows = found.map((row) =>
      Object.assign(new ProviderConfigAuditEntity(), {
        id: row.id,
        tenantId: row.tenant_id,
        version: row.version,
        action: row.action,
        actorKeyId: row.actor_key_id,
        changes: row.changes,
        createdAt: row.created_at,
      }),
    );
    const more = rows.length > limit;
    const page = more ? rows.slice(0, limit) : rows;
    return { rows: page, nextCursor: more ? String(page[page.length - 1].id) : null };
  }

  private async insertAudit(
    tx: Sql,
    tenantId: string,
    version: number,
    action: AuditAction,
    actorKeyId: string | null,
    changes: Record<string, unknown>,
  ): Promise<void> {
    await tx.execute(
      `INSERT INTO provider_config_audit (tenant_id, version, action, actor_key_id, changes)
       VALUES ($1, $2, $3, $4, $5::jsonb)`,
      [tenantId, version, action, actorKeyId, JSON.stringify(changes)],
    );
  }
}
