import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import type { Logger } from 'pino';
import { DataSource } from 'typeorm';
import { LOGGER } from '../common/logger.constants';
import { messageContentAssociatedData, SecretCipher } from '../common/secret-cipher';
import { APP_ENV } from '../config/app-env.constants';
import type { AppEnv } from '../config/env';
import {
  BLOCK_KEYS,
  SECRET_FIELD,
  type BlockKey,
} from '../provider-config/provider-config.constants';
import { associatedData } from '../provider-config/provider-config.mapper';
import { secretAssociatedData } from './api-key-secrets';

/** How many stored secrets of one key id are tried: one readable proves the key. */
const SAMPLES_PER_KEY_ID = 3;
/** SecretCipher output: `<key id>:<iv>:<tag>:<data>`; anything else is not ours to judge here. */
const CIPHERTEXT_RE = /^[A-Za-z0-9_-]{1,16}:[A-Za-z0-9_-]*:[A-Za-z0-9_-]*:[A-Za-z0-9_-]*$/;

export class SecretKeyMismatchError extends Error {
  constructor(readonly problems: string[]) {
    super(
      `MAILGATE_SECRET_KEY cannot read the secrets stored in the database: ${problems.join('; ')}. ` +
        'Keep every key that encrypted stored secrets in the list, after the current one ' +
        '(MAILGATE_SECRET_KEY="<new id>:<new key>,<old id>:<old key>"), or restore the key that was lost.',
    );
    this.name = 'SecretKeyMismatchError';
  }
}

interface Sample {
  ciphertext: string;
  associatedData: string;
}

interface KeyIdUse {
  /** Stored secrets that name this key id, per place (`api_keys.secret_ciphertext`, …). */
  counts: Map<string, number>;
  samples: Sample[];
}

/**
 * Start-up check, after migrations: every key id that stored secrets name (API key ciphertexts
 * and hashes, provider config secrets) must be in MAILGATE_SECRET_KEY and decrypt at least one of
 * them. A wrong or incomplete key set then stops the start with a message naming the key id,
 * rather than serving 401s and undecryptable provider configs later. Revoked keys are ignored.
 */
@Injectable()
export class SecretKeyCheck implements OnModuleInit {
  private readonly log: Logger;

  constructor(
    private readonly db: DataSource,
    private readonly cipher: SecretCipher,
    @Inject(APP_ENV) private readonly env: AppEnv,
    @Inject(LOGGER) logger: Logger,
  ) {
    this.log = logger.child({ module: 'secret-key-check' });
  }

  async onModuleInit(): Promise<void> {
    const uses = new Map<string, KeyIdUse>();
    const use = (keyId: string, place: string, count: number, samples: Sample[]): void => {
      const entry = uses.get(keyId) ?? { counts: new Map<string, number>(), samples: [] };
      entry.counts.set(place, (entry.counts.get(place) ?? 0) + count);
      entry.samples.push(...samples);
      uses.set(keyId, entry);
    };
    for (const row of await this.apiKeyCiphertexts()) {
      use(
        row.key_id,
        'api_keys.secret_ciphertext',
        row.n,
        row.ids.map((id, i) => ({
          ciphertext: row.samples[i],
          associatedData: secretAssociatedData(id),
        })),
      );
    }
    for (const row of await this.apiKeyHashes()) {
      // A hash cannot be decrypted: its key id being present is what can be checked.
      use(row.key_id, 'api_keys.secret_hash', row.n, []);
    }
    for (const row of await this.providerSecrets()) {
      use(
        row.key_id,
        'email_provider_configs.config',
        row.n,
        row.tenants.map((tenantId, i) => ({
          ciphertext: row.samples[i],
          associatedData: associatedData(tenantId, row.block),
        })),
      );
    }

    for (const row of await this.sealedMessages()) {
      use(
        row.key_id,
        'email_messages.payload (sensitive, waiting)',
        row.n,
        row.tenants.map((tenantId, i) => ({
          ciphertext: row.samples[i],
          associatedData: messageContentAssociatedData(tenantId),
        })),
      );
    }

    const known = new Set(this.env.app.secretKeys.map((k) => k.id));
    const problems: string[] = [];
    for (const [keyId, entry] of uses) {
      const where = [...entry.counts].map(([place, n]) => `${n} in ${place}`).join(', ');
      if (!known.has(keyId)) {
        problems.push(`key id "${keyId}" (${where}) is not in MAILGATE_SECRET_KEY`);
      } else if (entry.samples.length > 0 && !entry.samples.some((s) => this.readable(s))) {
        problems.push(
          `the key MAILGATE_SECRET_KEY lists as "${keyId}" does not decrypt what key id "${keyId}" encrypted (${where}): a different key under the same id`,
        );
      }
    }
    if (problems.length > 0) {
      throw new SecretKeyMismatchError(problems);
    }
    const current = this.env.app.secretKeys[0].id;
    const older = [...uses.keys()].filter((id) => id !== current);
    if (older.length > 0) {
      this.log.info(
        { current, older },
        'some stored secrets still use older MAILGATE_SECRET_KEY entries; keep them listed',
      );
    }
  }

  private readable(sample: Sample): boolean {
    try {
      this.cipher.decrypt(sample.ciphertext, sample.associatedData);
      return true;
    } catch {
      return false;
    }
  }

  /** Rows of a query over a table that may not exist yet (MAILGATE_MIGRATE_ON_START=false). */
  private async rows<T>(sql: string, params: unknown[] = []): Promise<T[]> {
    try {
      return await this.db.query<T[]>(sql, params);
    } catch (error) {
      // Undefined table or column: an older schema.
      const code = (error as { code?: string }).code;
      if (code === '42P01' || code === '42703') {
        this.log.warn(
          'schema not migrated yet: stored secrets not checked against MAILGATE_SECRET_KEY',
        );
        return [];
      }
      throw error;
    }
  }

  private apiKeyCiphertexts(): Promise<
    Array<{ key_id: string; n: number; ids: string[]; samples: string[] }>
  > {
    return this.rows(
      `SELECT split_part(secret_ciphertext, ':', 1) AS key_id, count(*)::int AS n,
              (array_agg(id ORDER BY created_at DESC))[1:${SAMPLES_PER_KEY_ID}] AS ids,
              (array_agg(secret_ciphertext ORDER BY created_at DESC))[1:${SAMPLES_PER_KEY_ID}] AS samples
         FROM api_keys
        WHERE revoked_at IS NULL AND secret_ciphertext ~ $1
        GROUP BY 1`,
      [CIPHERTEXT_RE.source],
    );
  }

  private apiKeyHashes(): Promise<Array<{ key_id: string; n: number }>> {
    return this.rows(
      `SELECT split_part(secret_hash, ':', 1) AS key_id, count(*)::int AS n
         FROM api_keys
        WHERE revoked_at IS NULL AND position(':' in secret_hash) > 1
        GROUP BY 1`,
    );
  }

  /** Sensitive messages still waiting with sealed content (the partial index email_messages_sealed_idx). */
  private sealedMessages(): Promise<
    Array<{ key_id: string; n: number; tenants: string[]; samples: string[] }>
  > {
    return this.rows(
      `SELECT split_part(payload ->> 'sealed', ':', 1) AS key_id, count(*)::int AS n,
              (array_agg(tenant_id ORDER BY created_at DESC))[1:${SAMPLES_PER_KEY_ID}] AS tenants,
              (array_agg(payload ->> 'sealed' ORDER BY created_at DESC))[1:${SAMPLES_PER_KEY_ID}] AS samples
         FROM email_messages
        WHERE sensitive AND content_purged_at IS NULL AND payload ->> 'sealed' ~ $1
        GROUP BY 1`,
      [CIPHERTEXT_RE.source],
    );
  }

  /** Every block's secret field (a config may keep blocks of other types than the one in use). */
  private async providerSecrets(): Promise<
    Array<{ key_id: string; block: BlockKey; n: number; tenants: string[]; samples: string[] }>
  > {
    const blocks = BLOCK_KEYS.map((block) => [block, SECRET_FIELD[block]] as const);
    return this.rows(
      `WITH secrets AS (
         SELECT c.tenant_id, c.updated_at, b.block, c.config -> b.block ->> b.field AS ciphertext
           FROM email_provider_configs c
           CROSS JOIN unnest($1::text[], $2::text[]) AS b(block, field)
       )
       SELECT split_part(ciphertext, ':', 1) AS key_id, block, count(*)::int AS n,
              (array_agg(tenant_id ORDER BY updated_at DESC))[1:${SAMPLES_PER_KEY_ID}] AS tenants,
              (array_agg(ciphertext ORDER BY updated_at DESC))[1:${SAMPLES_PER_KEY_ID}] AS samples
         FROM secrets
        WHERE ciphertext ~ $3
        GROUP BY 1, 2`,
      [blocks.map(([block]) => block), blocks.map(([, field]) => field), CIPHERTEXT_RE.source],
    );
  }
}
