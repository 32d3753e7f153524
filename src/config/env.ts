import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseMailbox } from '../common/addresses';
import type { SecretKey } from '../common/secret-cipher';
import { parseEgressPolicy, PUBLIC_ONLY_EGRESS, type EgressPolicy } from '../common/egress';
import { parseWebhookEnv, WEBHOOK_ENV_VARIABLES, type WebhookEnv } from './webhook-env';

/** Every variable of ARCHITECTURE.md's Environment table, parsed once at boot. */
export interface AppEnv {
  app: {
    nodeEnv: string;
    production: boolean;
    port: number;
    role: 'all' | 'api' | 'worker';
    dataDir: string;
    /** Bearer token of the root key, `<id>.<secret>`; generated outside production when unset. */
    rootKey?: string;
    rootKeyGenerated: boolean;
    /** Current key first; older ones kept to decrypt what they encrypted (key rotation). */
    secretKeys: SecretKey[];
    secretKeyGenerated: boolean;
  };
  database: {
    /** Unset: the embedded PostgreSQL is started under `dataDir`. */
    url?: string;
    migrateOnStart: boolean;
  };
  mailer: {
    builtinMailerUrl: string;
    builtinMailFrom: string;
    sendgridApiUrl: string;
  };
  dispatch: {
    concurrency: number;
    /** In-flight sends one tenant may hold per replica (fair scheduling). */
    tenantConcurrency: number;
    maxAttempts: number;
    retryBaseMs: number;
    leaseMs: number;
  };
  limits: {
    maxMessageBytes: number;
  };
  /** Circuit breaker per tenant provider (README "Circuit breaker"), shared by every replica. */
  circuit: {
    /** Consecutive transient/rate_limited failures that open it. */
    failureThreshold: number;
    /** First cool-down; it doubles with each opening in a row, up to maxCooldownMs. */
    cooldownMs: number;
    maxCooldownMs: number;
  };
  /** Where tenant-controlled targets may connect (MAILGATE_ALLOW_PRIVATE_TARGETS). */
  egress: EgressPolicy;
  smtp: {
    /** Where a login may travel without TLS: `loopback` relays only, `never` or `always`. */
    allowPlaintextAuth: SmtpPlaintextAuth;
  };
  /** Message data lifecycle (README "Data retention"); durations in milliseconds. */
  retention: {
    /** Bodies, attachments, headers and rendered MIME are kept this long after a final status. */
    contentMs: number;
    /** The whole row (attempts, events) is kept this long after a final status. */
    messageMs: number;
    /** How often each replica's purge worker looks for expired data. */
    purgeIntervalMs: number;
  };
  /** Token buckets in memory, per replica: N replicas allow N times these rates in total. */
  rateLimit: {
    /** Requests per second per API key (sustained); 0 turns the per-key limit off. */
    rps: number;
    /** Requests per API key allowed at once after a quiet period. */
    burst: number;
    /** Failed authentications per second per client IP and presented key id; 0 turns it off. */
    authFailureRps: number;
    /** Failed authentications allowed at once before that client is refused with 429. */
    authFailureBurst: number;
  };
  webhooks: WebhookEnv;
}

/** The parsed environment once the database URL is known (embedded or external). */
export type ReadyEnv = AppEnv & { database: { url: string } };

export const SMTP_PLAINTEXT_AUTH = ['loopback', 'never', 'always'] as const;
export type SmtpPlaintextAuth = (typeof SMTP_PLAINTEXT_AUTH)[number];

export class EnvValidationError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid environment:\n  - ${problems.join('\n  - ')}`);
    this.name = 'EnvValidationError';
  }
}

type Env = Record<string, string | undefined>;

/** Every variable loadEnv reads: the Reader accepts no other name, and deploy manifests are checked against it. */
export const ENV_VARIABLES = [
  'NODE_ENV',
  'PORT',
  'DATABASE_URL',
  'MAILGATE_DATA_DIR',
  'MAILGATE_ROOT_KEY',
  'MAILGATE_SECRET_KEY',
  'MAILGATE_ROLE',
  'MAILGATE_MIGRATE_ON_START',
  'BUILTIN_MAILER_URL',
  'BUILTIN_MAIL_FROM',
  'SENDGRID_API_URL',
  'DISPATCH_CONCURRENCY',
  'DISPATCH_TENANT_CONCURRENCY',
  'DISPATCH_MAX_ATTEMPTS',
  'DISPATCH_RETRY_BASE_MS',
  'DISPATCH_LEASE_MS',
  'DISPATCH_CIRCUIT_FAILURES',
  'DISPATCH_CIRCUIT_COOLDOWN_MS',
  'DISPATCH_CIRCUIT_MAX_COOLDOWN_MS',
  'MAX_MESSAGE_BYTES',
  'MAILGATE_RATE_LIMIT_RPS',
  'MAILGATE_RATE_LIMIT_BURST',
  'MAILGATE_AUTH_FAILURE_RPS',
  'MAILGATE_AUTH_FAILURE_BURST',
  'MAILGATE_ALLOW_PRIVATE_TARGETS',
  'SMTP_ALLOW_PLAINTEXT_AUTH',
  'MESSAGE_CONTENT_RETENTION',
  'MESSAGE_RETENTION',
  'MESSAGE_PURGE_INTERVAL',
  ...WEBHOOK_ENV_VARIABLES,
] as const;
export type EnvVariable = (typeof ENV_VARIABLES)[number];

class Reader {
  readonly problems: string[] = [];
  constructor(private readonly env: Env) {}

  raw(name: EnvVariable): string | undefined {
    const value = this.env[name];
    return value === undefined || value.trim() === '' ? undefined : value.trim();
  }

  int(name: EnvVariable, fallback: number, min: number, max: number): number {
    const value = this.raw(name);
    if (value === undefined) {
      return fallback;
    }
    if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > max) {
      this.problems.push(`${name} must be an integer from ${min} to ${max} (got "${value}")`);
      return fallback;
    }
    return Number(value);
  }

  /** Explicit: only true/false/1/0/yes/no, so "false" never turns into true. */
  bool(name: EnvVariable, fallback: boolean): boolean {
    const value = this.raw(name)?.toLowerCase();
    if (value === undefined) {
      return fallback;
    }
    if (['true', '1', 'yes'].includes(value)) {
      return true;
    }
    if (['false', '0', 'no'].includes(value)) {
      return false;
    }
    this.problems.push(`${name} must be true or false (got "${value}")`);
    return fallback;
  }

  oneOf<T extends string>(name: EnvVariable, allowed: readonly T[], fallback: T): T {
    const value = this.raw(name);
    if (value === undefined) {
      return fallback;
    }
    if (!(allowed as readonly string[]).includes(value)) {
      this.problems.push(`${name} must be one of ${allowed.join(', ')} (got "${value}")`);
      return fallback;
    }
    return value as T;
  }

  /**
   * A duration as ISO 8601 (`P7D`, `PT12H`, `P1DT30M`, `P2W`) or `<n>d|h|m|s`, in milliseconds.
   * Months and years are refused: their length varies.
   */
  duration(name: EnvVariable, fallbackMs: number, minMs: number): number {
    const value = this.raw(name);
    if (value === undefined) {
      return fallbackMs;
    }
    const ms = parseDuration(value);
    if (ms === undefined || ms < minMs) {
      this.problems.push(
        `${name} must be a duration like 7d, 12h, 30m, P7D or PT12H${minMs > 0 ? ` of at least ${minMs / 1000} s` : ''} (got "${value}")`,
      );
      return fallbackMs;
    }
    return ms;
  }

  url(name: EnvVariable, protocols: readonly string[]): string | undefined {
    const value = this.raw(name);
    if (value === undefined) {
      return undefined;
    }
    try {
      const parsed = new URL(value);
      if (!protocols.includes(parsed.protocol)) {
        this.problems.push(`${name} must use one of ${protocols.join(', ')}`);
        return undefined;
      }
      return value;
    } catch {
      // Never echo the value: URLs here may carry credentials.
      this.problems.push(`${name} is not a valid URL`);
      return undefined;
    }
  }
}

const SECOND = 1000;
const UNIT_MS: Record<string, number> = {
  w: 7 * 86_400 * SECOND,
  d: 86_400 * SECOND,
  h: 3_600 * SECOND,
  m: 60 * SECOND,
  s: SECOND,
};
/** ISO 8601 durations without years and months (https://en.wikipedia.org/wiki/ISO_8601#Durations). */
const ISO_DURATION_RE =
  /^P(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:[.,]\d+)?)S)?)?$/i;

/** Milliseconds of `7d`, `12h`, `30m`, `45s` or an ISO 8601 duration; undefined when not one. */
export function parseDuration(value: string): number | undefined {
  const short = /^(\d+)\s*([wdhms])$/i.exec(value);
  if (short !== null) {
    return Number(short[1]) * UNIT_MS[short[2].toLowerCase()];
  }
  const iso = ISO_DURATION_RE.exec(value);
  if (iso === null || value.toUpperCase() === 'P' || value.toUpperCase().endsWith('T')) {
    return undefined;
  }
  const [w, d, h, m, s] = iso.slice(1).map((part) => Number((part ?? '0').replace(',', '.')));
  return Math.round(w * UNIT_MS.w + d * UNIT_MS.d + h * UNIT_MS.h + m * UNIT_MS.m + s * UNIT_MS.s);
}

export const BUILTIN_MAILER_PROTOCOLS = ['smtp:', 'smtps:', 'sendgrid:', 'capture:'] as const;
const ROOT_KEY_RE = /^[A-Za-z0-9_-]{4,64}\.[A-Za-z0-9_-]{16,256}$/;

function parseSecretKeys(value: string, reader: Reader): SecretKey[] {
  // Format: `base64key` or `id:base64key[,id:base64key...]` (first = current, the rest decrypt only).
  const keys: SecretKey[] = [];
  for (const [index, part] of value.split(',').entries()) {
    const [maybeId, maybeKey] = part.includes(':') ? part.split(':', 2) : ['k1', part];
    const key = Buffer.from(maybeKey.trim(), 'base64');
    if (key.length !== 32 || !/^[A-Za-z0-9_-]{1,16}$/.test(maybeId.trim())) {
      reader.problems.push(
        `MAILGATE_SECRET_KEY entry ${index + 1} must be a 32-byte base64 key, optionally as id:key`,
      );
      continue;
    }
    keys.push({ id: maybeId.trim(), key });
  }
  return keys;
}

/** Reads a value kept in the data folder, creating it on first use (development defaults only). */
function persisted(dataDir: string, file: string, create: () => string): string {
  // 0711: others may traverse (the embedded PostgreSQL runs as another user under root) but not list.
  mkdirSync(dataDir, { recursive: true, mode: 0o711 });
  const path = join(dataDir, file);
  if (existsSync(path)) {
    return readFileSync(path, 'utf8').trim();
  }
  const value = create();
  writeFileSync(path, `${value}\n`, { mode: 0o600 });
  return value;
}

/**
 * Parses and validates the environment; throws EnvValidationError naming every bad variable.
 * Outside production it fills the development defaults (secret key, root key) from the data folder.
 */
export function loadEnv(env: Env = process.env): AppEnv {
  const r = new Reader(env);
  const nodeEnv = r.raw('NODE_ENV') ?? 'development';
  const production = nodeEnv === 'production';
  const dataDir = resolve(r.raw('MAILGATE_DATA_DIR') ?? './.data');

  const databaseUrl = r.url('DATABASE_URL', ['postgres:', 'postgresql:']);
  if (production && r.raw('DATABASE_URL') === undefined) {
    // The embedded PostgreSQL is a development convenience: images ship without its binaries.
    r.problems.push('DATABASE_URL is required in production (postgres://...)');
  }
  const builtinUrl = r.url('BUILTIN_MAILER_URL', BUILTIN_MAILER_PROTOCOLS);
  if (production && r.raw('BUILTIN_MAILER_URL') === undefined) {
    r.problems.push(
      'BUILTIN_MAILER_URL is required in production (smtp://, smtps:// or sendgrid://)',
    );
  } else if (production && builtinUrl?.startsWith('capture:')) {
    r.problems.push('BUILTIN_MAILER_URL must not be capture:// in production: it sends nothing');
  }
  const builtinFrom = r.raw('BUILTIN_MAIL_FROM') ?? 'mailgate@localhost';
  const builtinFromParsed = parseMailbox(builtinFrom);
  if (!builtinFromParsed.ok) {
    r.problems.push(
      `BUILTIN_MAIL_FROM must be an email address, optionally "Name <address>" (${builtinFromParsed.problem})`,
    );
  }
  const sendgridApiUrl =
    r.url('SENDGRID_API_URL', ['https:', 'http:']) ?? 'https://api.sendgrid.com';

  const rawSecret = r.raw('MAILGATE_SECRET_KEY');
  let secretKeys: SecretKey[] = [];
  let secretKeyGenerated = false;
  if (rawSecret !== undefined) {
    secretKeys = parseSecretKeys(rawSecret, r);
  } else if (production) {
    r.problems.push('MAILGATE_SECRET_KEY is required in production (32 bytes, base64)');
  }

  const rawRoot = r.raw('MAILGATE_ROOT_KEY');
  if (rawRoot !== undefined && !ROOT_KEY_RE.test(rawRoot)) {
    r.problems.push(
      'MAILGATE_ROOT_KEY must look like <id>.<secret> (id 4-64, secret 16-256 of A-Z a-z 0-9 _ -)',
    );
  }

  const parsed = {
    port: r.int('PORT', 3000, 0, 65535),
    role: r.oneOf('MAILGATE_ROLE', ['all', 'api', 'worker'] as const, 'all'),
    migrateOnStart: r.bool('MAILGATE_MIGRATE_ON_START', true),
    concurrency: r.int('DISPATCH_CONCURRENCY', 16, 1, 1024),
    maxAttempts: r.int('DISPATCH_MAX_ATTEMPTS', 8, 1, 100),
    retryBaseMs: r.int('DISPATCH_RETRY_BASE_MS', 30_000, 1, 86_400_000),
    leaseMs: r.int('DISPATCH_LEASE_MS', 60_000, 1_000, 86_400_000),
    circuitFailures: r.int('DISPATCH_CIRCUIT_FAILURES', 5, 1, 1_000),
    circuitCooldownMs: r.int('DISPATCH_CIRCUIT_COOLDOWN_MS', 5_000, 100, 86_400_000),
    maxMessageBytes: r.int('MAX_MESSAGE_BYTES', 10 * 1024 * 1024, 1024, 100 * 1024 * 1024),
    rateLimitRps: r.int('MAILGATE_RATE_LIMIT_RPS', 1_000, 0, 1_000_000),
    authFailureRps: r.int('MAILGATE_AUTH_FAILURE_RPS', 10, 0, 1_000_000),
  };
  // A quarter of the replica's slots per tenant, so one backlog never takes a replica.
  const tenantConcurrency = r.int(
    'DISPATCH_TENANT_CONCURRENCY',
    Math.max(1, Math.floor(parsed.concurrency / 4)),
    1,
    1024,
  );
  // Unset bursts: two seconds' worth of the key rate; at least 100 failed authentications.
  const rateLimitBurst = r.int(
    'MAILGATE_RATE_LIMIT_BURST',
    Math.max(1, parsed.rateLimitRps * 2),
    1,
    10_000_000,
  );
  const authFailureBurst = r.int(
    'MAILGATE_AUTH_FAILURE_BURST',
    Math.max(100, parsed.authFailureRps),
    1,
    10_000_000,
  );
  // 5 s doubling to 5 min by default; never a maximum below the first cool-down.
  const circuitMaxCooldownMs = r.int(
    'DISPATCH_CIRCUIT_MAX_COOLDOWN_MS',
    Math.max(300_000, parsed.circuitCooldownMs),
    parsed.circuitCooldownMs,
    86_400_000,
  );
  const webhooks = parseWebhookEnv((name) => r.raw(name), r.problems);

  const egressParsed = parseEgressPolicy(r.raw('MAILGATE_ALLOW_PRIVATE_TARGETS'), production);
  let egress: EgressPolicy = PUBLIC_ONLY_EGRESS;
  if ('problem' in egressParsed) {
    r.problems.push(egressParsed.problem);
  } else {
    egress = egressParsed;
  }
  const allowPlaintextAuth = r.oneOf('SMTP_ALLOW_PLAINTEXT_AUTH', SMTP_PLAINTEXT_AUTH, 'loopback');
  const contentRetentionMs = r.duration('MESSAGE_CONTENT_RETENTION', 7 * UNIT_MS.d, 0);
  const messageRetentionMs = r.duration('MESSAGE_RETENTION', 90 * UNIT_MS.d, 0);
  if (messageRetentionMs < contentRetentionMs) {
    r.problems.push(
      'MESSAGE_RETENTION must not be shorter than MESSAGE_CONTENT_RETENTION (rows outlive their content)',
    );
  }
  const purgeIntervalMs = r.duration('MESSAGE_PURGE_INTERVAL', 60 * SECOND, SECOND);

  if (r.problems.length > 0) {
    throw new EnvValidationError(r.problems);
  }

  // Development defaults live in the data folder so they survive restarts.
  if (secretKeys.length === 0) {
    secretKeys = parseSecretKeys(
      persisted(dataDir, 'secret.key', () => randomBytes(32).toString('base64')),
      r,
    );
    secretKeyGenerated = true;
  }
  let rootKey = rawRoot;
  let rootKeyGenerated = false;
  if (rootKey === undefined && !production) {
    rootKey = persisted(
      dataDir,
      'root.key',
      () => `root_${randomBytes(6).toString('hex')}.${randomBytes(24).toString('base64url')}`,
    );
    rootKeyGenerated = true;
  }
  if (r.problems.length > 0) {
    throw new EnvValidationError(r.problems);
  }

  return {
    app: {
      nodeEnv,
      production,
      port: parsed.port,
      role: parsed.role,
      dataDir,
      rootKey,
      rootKeyGenerated,
      secretKeys,
      secretKeyGenerated,
    },
    database: { url: databaseUrl, migrateOnStart: parsed.migrateOnStart },
    mailer: {
      builtinMailerUrl: builtinUrl ?? 'capture://',
      builtinMailFrom: builtinFrom,
      sendgridApiUrl,
    },
    dispatch: {
      concurrency: parsed.concurrency,
      tenantConcurrency: Math.min(tenantConcurrency, parsed.concurrency),
      maxAttempts: parsed.maxAttempts,
      retryBaseMs: parsed.retryBaseMs,
      leaseMs: parsed.leaseMs,
    },
    limits: { maxMessageBytes: parsed.maxMessageBytes },
    circuit: {
      failureThreshold: parsed.circuitFailures,
      cooldownMs: parsed.circuitCooldownMs,
      maxCooldownMs: circuitMaxCooldownMs,
    },
    egress,
    smtp: { allowPlaintextAuth },
    retention: {
      contentMs: contentRetentionMs,
      messageMs: messageRetentionMs,
      purgeIntervalMs,
    },
    rateLimit: {
      rps: parsed.rateLimitRps,
      burst: rateLimitBurst,
      authFailureRps: parsed.authFailureRps,
      authFailureBurst,
    },
    webhooks,
  };
}
