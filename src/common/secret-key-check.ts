import type { OnModuleInit } from '@nestjs/common';
import type { Logger } from 'pino';
import { SecretCipher } from './secret-cipher';

/** How many stored secrets of one key id are tried: one readable proves the key. */
const SAMPLES_PER_KEY_ID = 3;
/** SecretCipher output: `<key id>:<iv>:<tag>:<data>`; anything else is not ours to judge here. */
const CIPHERTEXT_RE = /^[A-Za-z0-9_-]{1,16}:[A-Za-z0-9_-]*:[A-Za-z0-9_-]*:[A-Za-z0-9_-]*$/;

/** Injection token of the `StoredSecrets[]` the check reads (the app module lists each feature's). */
export const STORED_SECRETS = Symbol('STORED_SECRETS');

export interface SecretSample {
  ciphertext: string;
  associatedData: string;
}

/** Stored secrets that name one key id: how many, and a few recent ones to decrypt. */
export interface KeyIdSecrets {
  keyId: string;
  count: number;
  /** Empty for what cannot be decrypted (keyed hashes): the key id being known is the check. */
  samples: SecretSample[];
}

/** What a feature's stored-secrets query gets: the database, how many samples, what a ciphertext looks like. */
export interface StoredSecretsQuery {
  query: <T>(sql: string, params?: unknown[]) => Promise<T[]>;
  samplesPerKeyId: number;
  /** CIPHERTEXT_RE's source, for a `~` match in SQL. */
  ciphertextPattern: string;
}

/** One place where a feature keeps SecretCipher output (or hashes keyed by MAILGATE_SECRET_KEY). */
export interface StoredSecrets {
  /** Named in the start-up error, e.g. `api_keys.secret_ciphertext`. */
  place: string;
  byKeyId(query: StoredSecretsQuery): Promise<KeyIdSecrets[]>;
}

/** What the check reads with: Database (src/config/database.ts), which common may not import. */
export interface SqlReader {
  query<T>(text: string, params?: unknown[]): Promise<T[]>;
}

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

interface KeyIdUse {
  /** Stored secrets that name this key id, per place (`api_keys.secret_ciphertext`, …). */
  counts: Map<string, number>;
  samples: SecretSample[];
}

/**
 * Start-up check, after migrations: every key id that stored secrets name (each feature lists its
 * places under STORED_SECRETS) must be in MAILGATE_SECRET_KEY and decrypt at least one of them. A
 * wrong or incomplete key set then stops the start with a message naming the key id, rather than
 * serving 401s and undecryptable provider configs later.
 */
export class SecretKeyCheck implements OnModuleInit {
  private readonly log: Logger;

  constructor(
    private readonly db: SqlReader,
    private readonly cipher: SecretCipher,
    logger: Logger,
    private readonly places: readonly StoredSecrets[],
  ) {
    this.log = logger.child({ module: 'secret-key-check' });
  }

  async onModuleInit(): Promise<void> {
    const uses = new Map<string, KeyIdUse>();
    const query: StoredSecretsQuery = {
      query: (sql, params) => this.rows(sql, params),
      samplesPerKeyId: SAMPLES_PER_KEY_ID,
      ciphertextPattern: CIPHERTEXT_RE.source,
    };
    for (const place of this.places) {
      for (const found of await place.byKeyId(query)) {
        const entry = uses.get(found.keyId) ?? { counts: new Map<string, number>(), samples: [] };
        entry.counts.set(place.place, (entry.counts.get(place.place) ?? 0) + found.count);
        entry.samples.push(...found.samples);
        uses.set(found.keyId, entry);
      }
    }

    const problems: string[] = [];
    for (const [keyId, entry] of uses) {
      const where = [...entry.counts].map(([place, n]) => `${n} in ${place}`).join(', ');
      // The cipher holds exactly MAILGATE_SECRET_KEY's entries.
      if (this.cipher.keyById(keyId) === undefined) {
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
    const current = this.cipher.currentKey().id;
    const older = [...uses.keys()].filter((id) => id !== current);
    if (older.length > 0) {
      this.log.info(
        { current, older },
        'some stored secrets still use older MAILGATE_SECRET_KEY entries; keep them listed',
      );
    }
  }

  private readable(sample: SecretSample): boolean {
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
      return await this.db.query<T>(sql, params);
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
}
