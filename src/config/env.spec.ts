import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EnvValidationError, loadEnv, parseDuration } from './env';

describe('loadEnv', () => {
  let dataDir: string;
  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'mailgate-env-'));
  });
  afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

  const base = (): Record<string, string> => ({ MAILGATE_DATA_DIR: dataDir });

  it('applies the documented defaults', () => {
    const env = loadEnv(base());
    expect(env.app).toMatchObject({
      port: 3000,
      role: 'all',
      production: false,
      nodeEnv: 'development',
    });
    expect(env.database).toEqual({ url: undefined, migrateOnStart: true });
    expect(env.mailer).toEqual({
      builtinMailerUrl: 'capture://',
      builtinMailFrom: 'mailgate@localhost',
      sendgridApiUrl: 'https://api.sendgrid.com',
    });
    expect(env.dispatch).toEqual({
      concurrency: 16,
      tenantConcurrency: 4,
      maxAttempts: 8,
      retryBaseMs: 30_000,
      leaseMs: 60_000,
    });
    expect(env.limits.maxMessageBytes).toBe(10 * 1024 * 1024);
    expect(env.circuit).toEqual({
      failureThreshold: 5,
      cooldownMs: 5_000,
      maxCooldownMs: 300_000,
    });
  });

  it('validates the circuit breaker settings (no maximum cool-down below the first)', () => {
    expect(() =>
      loadEnv({
        ...base(),
        DISPATCH_CIRCUIT_FAILURES: '0',
        DISPATCH_CIRCUIT_COOLDOWN_MS: '10000',
        DISPATCH_CIRCUIT_MAX_COOLDOWN_MS: '5000',
      }),
    ).toThrow(/DISPATCH_CIRCUIT_FAILURES[\s\S]*DISPATCH_CIRCUIT_MAX_COOLDOWN_MS/);
    const env = loadEnv({ ...base(), DISPATCH_CIRCUIT_COOLDOWN_MS: '600000' });
    expect(env.circuit.maxCooldownMs).toBe(600_000);
  });

  it('generates the development secret and root keys into the data folder and reuses them', () => {
    const first = loadEnv(base());
    expect(first.app.secretKeyGenerated).toBe(true);
    expect(first.app.rootKeyGenerated).toBe(true);
    expect(first.app.secretKeys[0].key).toHaveLength(32);
    expect(readFileSync(join(dataDir, 'root.key'), 'utf8').trim()).toBe(first.app.rootKey);
    const second = loadEnv(base());
    expect(second.app.rootKey).toBe(first.app.rootKey);
    expect(second.app.secretKeys[0].key.equals(first.app.secretKeys[0].key)).toBe(true);
  });

  it('parses numbers and booleans explicitly ("false" is false)', () => {
    const env = loadEnv({
      ...base(),
      PORT: '8080',
      MAILGATE_MIGRATE_ON_START: 'false',
      DISPATCH_CONCURRENCY: '4',
      MAILGATE_ROLE: 'worker',
    });
    expect(env.app.port).toBe(8080);
    expect(env.database.migrateOnStart).toBe(false);
    expect(env.dispatch.concurrency).toBe(4);
    expect(env.app.role).toBe('worker');
  });

  it('names every bad variable at once', () => {
    let caught: unknown;
    try {
      loadEnv({
        ...base(),
        PORT: 'eighty',
        MAILGATE_ROLE: 'boss',
        MAILGATE_MIGRATE_ON_START: 'maybe',
        DATABASE_URL: 'mysql://x@y/z',
        DISPATCH_MAX_ATTEMPTS: '0',
        MAILGATE_SECRET_KEY: 'tooshort',
        BUILTIN_MAILER_URL: 'ftp://host',
      });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(EnvValidationError);
    const names = (caught as EnvValidationError).problems.map((p) => p.split(' ')[0]);
    expect(names).toEqual(
      expect.arrayContaining([
        'PORT',
        'MAILGATE_ROLE',
        'MAILGATE_MIGRATE_ON_START',
        'DATABASE_URL',
        'DISPATCH_MAX_ATTEMPTS',
        'MAILGATE_SECRET_KEY',
        'BUILTIN_MAILER_URL',
      ]),
    );
  });

  it('never echoes a URL that may hold credentials', () => {
    expect(() => loadEnv({ ...base(), DATABASE_URL: 'postgres://u:hunter2@' })).toThrow(
      /DATABASE_URL is not a valid URL/,
    );
    try {
      loadEnv({ ...base(), DATABASE_URL: 'postgres://u:hunter2@' });
    } catch (error) {
      expect(String(error)).not.toContain('hunter2');
    }
  });

  it('refuses production without a secret key or a real built-in mailer', () => {
    expect(() => loadEnv({ ...base(), NODE_ENV: 'production' })).toThrow(
      /MAILGATE_SECRET_KEY is required in production[\s\S]*|BUILTIN_MAILER_URL is required/,
    );
    let problems: string[] = [];
    try {
      loadEnv({ ...base(), NODE_ENV: 'production', BUILTIN_MAILER_URL: 'capture://' });
    } catch (error) {
      problems = (error as EnvValidationError).problems;
    }
    expect(problems.join('\n')).toMatch(/BUILTIN_MAILER_URL must not be capture/);
    expect(problems.join('\n')).toMatch(/MAILGATE_SECRET_KEY is required/);
    expect(problems.join('\n')).toMatch(/DATABASE_URL is required in production/);
    const ok = loadEnv({
      ...base(),
      NODE_ENV: 'production',
      DATABASE_URL: 'postgres://mailgate@db.example:5432/mailgate',
      BUILTIN_MAILER_URL: 'smtp://u:p@relay.example:587',
      MAILGATE_SECRET_KEY: Buffer.alloc(32, 1).toString('base64'),
    });
    expect(ok.app.production).toBe(true);
    expect(ok.app.rootKey).toBeUndefined();
  });

  it('reads the egress policy: allow-all outside production, public-only in production, CIDRs', () => {
    expect(loadEnv(base()).egress).toEqual({ allowAll: true, allowedCidrs: [] });
    const production = {
      ...base(),
      NODE_ENV: 'production',
      DATABASE_URL: 'postgres://mailgate@db.example:5432/mailgate',
      BUILTIN_MAILER_URL: 'smtp://relay.example:25',
      MAILGATE_SECRET_KEY: Buffer.alloc(32, 1).toString('base64'),
    };
    expect(loadEnv(production).egress).toEqual({ allowAll: false, allowedCidrs: [] });
    expect(
      loadEnv({ ...production, MAILGATE_ALLOW_PRIVATE_TARGETS: '10.20.0.0/16, fd00::/8' }).egress,
    ).toEqual({ allowAll: false, allowedCidrs: ['10.20.0.0/16', 'fd00::/8'] });
    expect(loadEnv({ ...production, MAILGATE_ALLOW_PRIVATE_TARGETS: 'true' }).egress.allowAll).toBe(
      true,
    );
    expect(() => loadEnv({ ...base(), MAILGATE_ALLOW_PRIVATE_TARGETS: '10.0.0.0/40' })).toThrow(
      /MAILGATE_ALLOW_PRIVATE_TARGETS must be true, false or a comma-separated list of CIDRs/,
    );
  });

  it('reads SMTP_ALLOW_PLAINTEXT_AUTH, loopback by default', () => {
    expect(loadEnv(base()).smtp).toEqual({ allowPlaintextAuth: 'loopback' });
    expect(loadEnv({ ...base(), SMTP_ALLOW_PLAINTEXT_AUTH: 'never' }).smtp).toEqual({
      allowPlaintextAuth: 'never',
    });
    expect(() => loadEnv({ ...base(), SMTP_ALLOW_PLAINTEXT_AUTH: 'sometimes' })).toThrow(
      /SMTP_ALLOW_PLAINTEXT_AUTH must be one of loopback, never, always/,
    );
  });

  it('accepts rotated secret keys as id:key lists, current first', () => {
    const k1 = Buffer.alloc(32, 1).toString('base64');
    const k2 = Buffer.alloc(32, 2).toString('base64');
    const env = loadEnv({ ...base(), MAILGATE_SECRET_KEY: `new:${k2},old:${k1}` });
    expect(env.app.secretKeys.map((k) => k.id)).toEqual(['new', 'old']);
  });

  it('reads retention as <n>d/<n>h or ISO 8601 durations, 7 and 90 days by default', () => {
    const day = 86_400_000;
    expect(loadEnv(base()).retention).toEqual({
      contentMs: 7 * day,
      messageMs: 90 * day,
      purgeIntervalMs: 60_000,
    });
    const env = loadEnv({
      ...base(),
      MESSAGE_CONTENT_RETENTION: '12h',
      MESSAGE_RETENTION: 'P1DT6H',
      MESSAGE_PURGE_INTERVAL: 'PT30S',
    });
    expect(env.retention).toEqual({
      contentMs: 12 * 3_600_000,
      messageMs: 30 * 3_600_000,
      purgeIntervalMs: 30_000,
    });
    expect(parseDuration('P2W')).toBe(14 * day);
    expect(parseDuration('PT0.5S')).toBe(500);
    expect(parseDuration('0d')).toBe(0);
    for (const bad of ['7', 'P1M', 'P1Y', 'P', 'PT', '-1d', '1.5d', 'seven days', 'P1DT']) {
      expect(parseDuration(bad)).toBeUndefined();
    }
  });

  it('names every bad retention variable, and a row retention shorter than content', () => {
    let problems: string[] = [];
    try {
      loadEnv({
        ...base(),
        MESSAGE_CONTENT_RETENTION: 'P1M',
        MESSAGE_RETENTION: 'forever',
        MESSAGE_PURGE_INTERVAL: '0s',
      });
    } catch (error) {
      problems = (error as EnvValidationError).problems;
    }
    expect(problems.map((p) => p.split(' ')[0])).toEqual([
      'MESSAGE_CONTENT_RETENTION',
      'MESSAGE_RETENTION',
      'MESSAGE_PURGE_INTERVAL',
    ]);
    expect(() =>
      loadEnv({ ...base(), MESSAGE_CONTENT_RETENTION: '2d', MESSAGE_RETENTION: '1d' }),
    ).toThrow(/MESSAGE_RETENTION must not be shorter than MESSAGE_CONTENT_RETENTION/);
  });
});
