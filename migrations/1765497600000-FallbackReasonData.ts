import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Why the built-in mailer sent a message is stored as data (`{ kind, detail }`, jsonb) and
 * rendered to text only by the API (issue 20). Existing text is read back into its kind; text
 * this version did not write stays readable as `{ kind: 'legacy', detail }`.
 */
export class FallbackReasonData1765497600000 implements MigrationInterface {
  name = 'FallbackReasonData1765497600000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE email_messages ALTER COLUMN fallback_reason TYPE jsonb USING CASE
        WHEN fallback_reason IS NULL THEN NULL
        WHEN fallback_reason = 'no provider configured' THEN '{"kind":"no_provider"}'::jsonb
        WHEN fallback_reason = 'provider disabled' THEN '{"kind":"provider_disabled"}'::jsonb
        WHEN fallback_reason ~ '^provider authentication failed \\(.*\\)$' THEN jsonb_build_object(
          'kind', 'provider_auth_failed',
          'detail', substring(fallback_reason FROM '^provider authentication failed \\((.*)\\)$'))
        WHEN fallback_reason ~ '^provider retries exhausted \\(.*\\)$' THEN jsonb_build_object(
          'kind', 'provider_retries_exhausted',
          'detail', substring(fallback_reason FROM '^provider retries exhausted \\((.*)\\)$'))
        ELSE jsonb_build_object('kind', 'legacy', 'detail', fallback_reason)
      END`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE email_messages ALTER COLUMN fallback_reason TYPE text USING CASE
        WHEN fallback_reason IS NULL THEN NULL
        WHEN fallback_reason ->> 'kind' = 'no_provider' THEN 'no provider configured'
        WHEN fallback_reason ->> 'kind' = 'provider_disabled' THEN 'provider disabled'
        WHEN fallback_reason ->> 'kind' = 'provider_auth_failed'
          THEN 'provider authentication failed (' || (fallback_reason ->> 'detail') || ')'
        WHEN fallback_reason ->> 'kind' = 'provider_retries_exhausted'
          THEN 'provider retries exhausted (' || (fallback_reason ->> 'detail') || ')'
        ELSE fallback_reason ->> 'detail'
      END`);
  }
}
