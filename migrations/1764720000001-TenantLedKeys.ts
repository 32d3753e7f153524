import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Tables whose primary key was the row id alone; it becomes (tenant_id, id). */
const RE_KEYED = ['email_messages', 'email_attempts', 'api_keys', 'provider_config_audit'];

/** Of those, the ones the code still finds by id alone (dispatcher, auth): a plain index serves it. */
const ID_LOOKUPS: Record<string, string> = {
  email_messages: 'email_messages_id_idx',
  api_keys: 'api_keys_id_idx',
};

interface ForeignKey {
  name: string;
  table: string;
  columns: string[];
  target: string;
  definition: string;
}

/**
 * Foreign keys that rest on the primary key of one of the re-keyed tables (whichever migration
 * created them): they must go before the key does. Ones resting on another unique index are left.
 */
async function foreignKeysInto(q: QueryRunner): Promise<ForeignKey[]> {
  const rows = (await q.query(
    `SELECT con.conname AS name, src.relname AS "table", tgt.relname AS target,
            pg_get_constraintdef(con.oid) AS definition,
            array(SELECT a.attname::text FROM unnest(con.conkey) WITH ORDINALITY k(attnum, n)
                    JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.attnum
                   ORDER BY k.n) AS columns
       FROM pg_constraint con
       JOIN pg_class src ON src.oid = con.conrelid
       JOIN pg_class tgt ON tgt.oid = con.confrelid
       JOIN pg_namespace ns ON ns.oid = tgt.relnamespace
      WHERE con.contype = 'f' AND ns.nspname = current_schema() AND tgt.relname = ANY($1)
        AND con.conindid = (SELECT pk.conindid FROM pg_constraint pk
                             WHERE pk.conrelid = tgt.oid AND pk.contype = 'p')`,
    [RE_KEYED],
  )) as ForeignKey[];
  return rows;
}

/** The referential actions of a constraint definition (`ON DELETE CASCADE`…), kept as they were. */
function actionsOf(definition: string): string {
  return definition.replace(/^.*REFERENCES\s+\S+\([^)]*\)/s, '').trim();
}

/**
 * Every primary key and unique index led by tenant_id, so the schema can be distributed by tenant
 * on Citus (docs/scaling.md): email_messages, email_attempts (which gains tenant_id), api_keys,
 * provider_config_audit and auth_nonces (which gains tenant_id) are re-keyed; foreign keys into
 * the re-keyed tables become (tenant_id, …). Lookups by id alone keep a plain index.
 */
export class TenantLedKeys1764720000001 implements MigrationInterface {
  name = 'TenantLedKeys1764720000001';

  async up(q: QueryRunner): Promise<void> {
    // email_attempts: the message's tenant, filled from the message.
    await q.query(`ALTER TABLE email_attempts ADD COLUMN tenant_id text`);
    await q.query(
      `UPDATE email_attempts a SET tenant_id = m.tenant_id FROM email_messages m WHERE m.id = a.message_id`,
    );
    await q.query(`ALTER TABLE email_attempts ALTER COLUMN tenant_id SET NOT NULL`);

    // auth_nonces: the key's tenant; a nonce of a deleted key guards nothing any more.
    await q.query(`ALTER TABLE auth_nonces ADD COLUMN tenant_id text`);
    await q.query(
      `UPDATE auth_nonces n SET tenant_id = k.tenant_id FROM api_keys k WHERE k.id = n.key_id`,
    );
    await q.query(`DELETE FROM auth_nonces WHERE tenant_id IS NULL`);
    await q.query(`ALTER TABLE auth_nonces ALTER COLUMN tenant_id SET NOT NULL`);
    await q.query(`ALTER TABLE auth_nonces DROP CONSTRAINT auth_nonces_pkey`);
    await q.query(`ALTER TABLE auth_nonces ADD PRIMARY KEY (tenant_id, key_id, nonce)`);

    const foreignKeys = await foreignKeysInto(q);
    for (const fk of foreignKeys) {
      await q.query(`ALTER TABLE ${fk.table} DROP CONSTRAINT ${fk.name}`);
    }
    for (const table of RE_KEYED) {
      await q.query(`ALTER TABLE ${table} DROP CONSTRAINT ${table}_pkey`);
      await q.query(`ALTER TABLE ${table} ADD PRIMARY KEY (tenant_id, id)`);
      const index = ID_LOOKUPS[table];
      if (index !== undefined) {
        await q.query(`CREATE INDEX ${index} ON ${table} (id)`);
      }
    }
    // The new primary key (tenant_id, id) serves the history's newest-first pages.
    await q.query(`DROP INDEX provider_config_audit_tenant_idx`);

    for (const fk of foreignKeys) {
      if (fk.columns.length !== 1 || fk.columns[0] === 'tenant_id') {
        throw new Error(
          `${fk.table}.${fk.name}: expected a one-column foreign key into ${fk.target}`,
        );
      }
      // Citus requires the distribution column in foreign keys between distributed tables.
      const actions = actionsOf(fk.definition).replace(
        /ON DELETE SET NULL\b(?!\s*\()/,
        `ON DELETE SET NULL (${fk.columns[0]})`,
      );
      await q.query(
        `ALTER TABLE ${fk.table} ADD CONSTRAINT ${fk.name}
           FOREIGN KEY (tenant_id, ${fk.columns[0]}) REFERENCES ${fk.target} (tenant_id, id) ${actions}`,
      );
    }
  }

  async down(q: QueryRunner): Promise<void> {
    const foreignKeys = await foreignKeysInto(q);
    for (const fk of foreignKeys) {
      await q.query(`ALTER TABLE ${fk.table} DROP CONSTRAINT ${fk.name}`);
    }
    await q.query(
      `CREATE INDEX provider_config_audit_tenant_idx ON provider_config_audit (tenant_id, id DESC)`,
    );
    for (const table of RE_KEYED) {
      const index = ID_LOOKUPS[table];
      if (index !== undefined) {
        await q.query(`DROP INDEX ${index}`);
      }
      await q.query(`ALTER TABLE ${table} DROP CONSTRAINT ${table}_pkey`);
      await q.query(`ALTER TABLE ${table} ADD PRIMARY KEY (id)`);
    }
    for (const fk of foreignKeys) {
      const column = fk.columns.find((c) => c !== 'tenant_id') ?? fk.columns[0];
      const actions = actionsOf(fk.definition).replace(
        /ON DELETE SET NULL \([^)]*\)/,
        'ON DELETE SET NULL',
      );
      await q.query(
        `ALTER TABLE ${fk.table} ADD CONSTRAINT ${fk.name}
           FOREIGN KEY (${column}) REFERENCES ${fk.target} (id) ${actions}`,
      );
    }
    await q.query(`ALTER TABLE auth_nonces DROP CONSTRAINT auth_nonces_pkey`);
    await q.query(`ALTER TABLE auth_nonces ADD PRIMARY KEY (key_id, nonce)`);
    await q.query(`ALTER TABLE auth_nonces DROP COLUMN tenant_id`);
    await q.query(`ALTER TABLE email_attempts DROP COLUMN tenant_id`);
  }
}
