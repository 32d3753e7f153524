import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The first schema: tenancy, provider configuration with its audit trail, and the outbox. */
export class InitialSchema1764115200000 implements MigrationInterface {
  name = 'InitialSchema1764115200000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE tenants (
        id          text PRIMARY KEY,
        name        text,
        created_at  timestamptz NOT NULL DEFAULT now()
      )`);

    await q.query(`
      CREATE TABLE api_keys (
        id                 text PRIMARY KEY,
        tenant_id          text NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
        name               text,
        scopes             text[] NOT NULL,
        -- HMAC-SHA256 of the secret for Bearer checks; the secret itself only encrypted,
        -- because GenAuth's request signature needs it.
        secret_hash        text NOT NULL,
        secret_ciphertext  text NOT NULL,
        created_by         text,
        created_at         timestamptz NOT NULL DEFAULT now(),
        last_used_at       timestamptz,
        revoked_at         timestamptz
      )`);
    await q.query(`CREATE INDEX api_keys_tenant_idx ON api_keys (tenant_id, created_at)`);

    // Single-use signature nonces, shared by every replica (GenAuth's x-authing-signature-nonce).
    await q.query(`
      CREATE TABLE auth_nonces (
        key_id      text NOT NULL,
        nonce       text NOT NULL,
        expires_at  timestamptz NOT NULL,
        PRIMARY KEY (key_id, nonce)
      )`);
    await q.query(`CREATE INDEX auth_nonces_expiry_idx ON auth_nonces (expires_at)`);

    await q.query(`
      CREATE TABLE email_provider_configs (
        tenant_id            text PRIMARY KEY REFERENCES tenants(id) ON DELETE CASCADE,
        type                 text NOT NULL CHECK (type IN ('custom', 'ali', 'qq', 'sendgrid')),
        enabled              boolean NOT NULL,
        -- The seed's four blocks; secret fields hold ciphertext ("<key id>:<iv>:<tag>:<data>").
        config               jsonb NOT NULL DEFAULT '{}'::jsonb,
        fallback_on_failure  boolean NOT NULL DEFAULT false,
        version              integer NOT NULL DEFAULT 1,
        last_verified_at     timestamptz,
        last_verify_error    jsonb,
        updated_by           text,
        created_at           timestamptz NOT NULL DEFAULT now(),
        updated_at           timestamptz NOT NULL DEFAULT now()
      )`);

    await q.query(`
      CREATE TABLE provider_config_audit (
        id            bigserial PRIMARY KEY,
        tenant_id     text NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
        version       integer NOT NULL,
        action        text NOT NULL,
        actor_key_id  text,
        changes       jsonb NOT NULL DEFAULT '{}'::jsonb,
        created_at    timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(
      `CREATE INDEX provider_config_audit_tenant_idx ON provider_config_audit (tenant_id, id DESC)`,
    );

    await q.query(`
      CREATE TABLE email_messages (
        id                   uuid PRIMARY KEY,
        tenant_id            text NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
        status               text NOT NULL CHECK (status IN ('queued', 'sending', 'sent', 'failed')),
        idempotency_key      text,
        request_hash         text,
        -- The validated message: from, to, cc, bcc, replyTo, subject, text, html, attachments, headers.
        payload              jsonb NOT NULL,
        tags                 text[],
        metadata             jsonb,
        size_bytes           integer NOT NULL,
        attempts             integer NOT NULL DEFAULT 0,
        next_attempt_at      timestamptz NOT NULL DEFAULT now(),
        locked_until         timestamptz,
        locked_by            text,
        transport            text,
        fallback_reason      text,
        provider_message_id  text,
        last_error           jsonb,
        captured_mime        text,
        created_at           timestamptz NOT NULL DEFAULT now(),
        updated_at           timestamptz NOT NULL DEFAULT now(),
        sent_at              timestamptz
      )`);
    await q.query(
      `CREATE UNIQUE INDEX email_messages_idempotency_uq ON email_messages (tenant_id, idempotency_key) WHERE idempotency_key IS NOT NULL`,
    );
    // The claim query: due queued rows, and sending rows whose lease expired.
    await q.query(
      `CREATE INDEX email_messages_due_idx ON email_messages (next_attempt_at) WHERE status = 'queued'`,
    );
    await q.query(
      `CREATE INDEX email_messages_lease_idx ON email_messages (locked_until) WHERE status = 'sending'`,
    );
    // Keyset pagination of the list query, with and without a status filter.
    await q.query(
      `CREATE INDEX email_messages_list_idx ON email_messages (tenant_id, created_at DESC, id DESC)`,
    );
    await q.query(
      `CREATE INDEX email_messages_status_list_idx ON email_messages (tenant_id, status, created_at DESC, id DESC)`,
    );

    await q.query(`
      CREATE TABLE email_attempts (
        id                   bigserial PRIMARY KEY,
        message_id           uuid NOT NULL REFERENCES email_messages(id) ON DELETE CASCADE,
        attempt_no           integer NOT NULL,
        transport            text NOT NULL,
        outcome              text NOT NULL CHECK (outcome IN ('sent', 'retry', 'failed')),
        error_class          text,
        error_code           text,
        error_status         integer,
        error_message        text,
        provider_message_id  text,
        started_at           timestamptz NOT NULL,
        finished_at          timestamptz NOT NULL DEFAULT now(),
        duration_ms          integer NOT NULL
      )`);
    await q.query(`CREATE INDEX email_attempts_message_idx ON email_attempts (message_id, id)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE email_attempts`);
    await q.query(`DROP TABLE email_messages`);
    await q.query(`DROP TABLE provider_config_audit`);
    await q.query(`DROP TABLE email_provider_configs`);
    await q.query(`DROP TABLE auth_nonces`);
    await q.query(`DROP TABLE api_keys`);
    await q.query(`DROP TABLE tenants`);
  }
}
