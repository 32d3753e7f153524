import { messageContentAssociatedData } from '../common/secret-cipher';
import type { StoredSecrets } from '../common/secret-key-check';

/** Sensitive messages still waiting with sealed content (the partial index email_messages_sealed_idx). */
export const SEALED_CONTENT_STORED_SECRETS: StoredSecrets = {
  place: 'email_messages.payload (sensitive, waiting)',
  async byKeyId({ query, samplesPerKeyId, ciphertextPattern }) {
    const rows = await query<{ key_id: string; n: number; tenants: string[]; samples: string[] }>(
      `SELECT split_part(payload ->> 'sealed', ':', 1) AS key_id, count(*)::int AS n,
              (array_agg(tenant_id ORDER BY created_at DESC))[1:${samplesPerKeyId}] AS tenants,
              (array_agg(payload ->> 'sealed' ORDER BY created_at DESC))[1:${samplesPerKeyId}] AS samples
         FROM email_messages
        WHERE sensitive AND content_purged_at IS NULL AND payload ->> 'sealed' ~ $1
        GROUP BY 1`,
      [ciphertextPattern],
    );
    return rows.map((row) => ({
      keyId: row.key_id,
      count: row.n,
      samples: row.tenants.map((tenantId, i) => ({
        ciphertext: row.samples[i],
        associatedData: messageContentAssociatedData(tenantId),
      })),
    }));
  },
};
