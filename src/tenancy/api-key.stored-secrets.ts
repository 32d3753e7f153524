import type { StoredSecrets } from '../common/secret-key-check';
import { secretAssociatedData } from './api-key-secrets';

/** Where API keys keep what MAILGATE_SECRET_KEY made, for the start-up key check; revoked keys are ignored. */
export const API_KEY_STORED_SECRETS: readonly StoredSecrets[] = [
  {
    place: 'api_keys.secret_ciphertext',
    async byKeyId({ query, samplesPerKeyId, ciphertextPattern }) {
      const rows = await query<{ key_id: string; n: number; ids: string[]; samples: string[] }>(
        `SELECT split_part(secret_ciphertext, ':', 1) AS key_id, count(*)::int AS n,
                (array_agg(id ORDER BY created_at DESC))[1:${samplesPerKeyId}] AS ids,
                (array_agg(secret_ciphertext ORDER BY created_at DESC))[1:${samplesPerKeyId}] AS samples
           FROM api_keys
          WHERE revoked_at IS NULL AND secret_ciphertext ~ $1
          GROUP BY 1`,
        [ciphertextPattern],
      );
      return rows.map((row) => ({
        keyId: row.key_id,
        count: row.n,
        samples: row.ids.map((id, i) => ({
          ciphertext: row.samples[i],
          associatedData: secretAssociatedData(id),
        })),
      }));
    },
  },
  {
    place: 'api_keys.secret_hash',
    async byKeyId({ query }) {
      const rows = await query<{ key_id: string; n: number }>(
        `SELECT split_part(secret_hash, ':', 1) AS key_id, count(*)::int AS n
           FROM api_keys
          WHERE revoked_at IS NULL AND position(':' in secret_hash) > 1
          GROUP BY 1`,
      );
      // A hash cannot be decrypted: its key id being present is what can be checked.
      return rows.map((row) => ({ keyId: row.key_id, count: row.n, samples: [] }));
    },
  },
];
