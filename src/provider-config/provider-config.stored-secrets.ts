import type { StoredSecrets } from '../common/secret-key-check';
import { BLOCK_KEYS, SECRET_FIELD, type BlockKey } from './provider-config.constants';
import { associatedData } from './provider-config.mapper';

/** Every block's secret field (a config may keep blocks of other types than the one in use). */
export const PROVIDER_CONFIG_STORED_SECRETS: StoredSecrets = {
  place: 'email_provider_configs.config',
  async byKeyId({ query, samplesPerKeyId, ciphertextPattern }) {
    const blocks = BLOCK_KEYS.map((block) => [block, SECRET_FIELD[block]] as const);
    const rows = await query<{
      key_id: string;
      block: BlockKey;
      n: number;
      tenants: string[];
      samples: string[];
    }>(
      `WITH secrets AS (
         SELECT c.tenant_id, c.updated_at, b.block, c.config -> b.block ->> b.field AS ciphertext
           FROM email_provider_configs c
           CROSS JOIN unnest($1::text[], $2::text[]) AS b(block, field)
       )
       SELECT split_part(ciphertext, ':', 1) AS key_id, block, count(*)::int AS n,
              (array_agg(tenant_id ORDER BY updated_at DESC))[1:${samplesPerKeyId}] AS tenants,
              (array_agg(ciphertext ORDER BY updated_at DESC))[1:${samplesPerKeyId}] AS samples
         FROM secrets
        WHERE ciphertext ~ $3
        GROUP BY 1, 2`,
      [blocks.map(([block]) => block), blocks.map(([, field]) => field), ciphertextPattern],
    );
    return rows.map((row) => ({
      keyId: row.key_id,
      count: row.n,
      samples: row.tenants.map((tenantId, i) => ({
        ciphertext: row.samples[i],
        associatedData: associatedData(tenantId, row.block),
      })),
    }));
  },
};
