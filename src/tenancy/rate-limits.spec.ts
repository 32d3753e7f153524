import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ApiCode } from '../common/api-code.enum';
import { AppException } from '../common/app.exception';
import { EnvValidationError, loadEnv, type AppEnv } from '../config/env';
import { PRINCIPAL_KEY, Public, RequireScopes } from './auth.decorators';
import { AuthGuard } from './auth.guard';
import type { AuthenticatorService } from './authenticator.service';
import type { Principal } from './principal';
import { ApiKeyRateLimit, AuthFailureThrottle, presentedKeyId } from './rate-limits';

function envWith(rateLimit: Partial<AppEnv['rateLimit']>): AppEnv {
  return {
    rateLimit: { rps: 1000, burst: 2000, authFailureRps: 10, authFailureBurst: 100, ...rateLimit },
  } as AppEnv;
}

class OpenController {
  handler(): void {}
}
Public()(OpenController);
class ClosedController {
  handler(): void {}
}
RequireScopes('email:send')(ClosedController);

const principal = (keyId: string, scopes: Principal['scopes'] = ['email:send']): Principal => ({
  tenantId: 't1',
  keyId,
  scopes,
  root: false,
});

/** Stands in for key lookup: `Bearer <id>.right` is valid, `.read` lacks email:send, the rest is wrong. */
const authenticator = {
  authenticate: (request: { headers: { authorization?: string } }): Promise<Principal> => {
    const match = /^Bearer ([^.]+)\.(right|read)$/.exec(request.headers.authorization ?? '');
    if (match === null) {
      return Promise.reject(new AppException(ApiCode.Unauthenticated, 'Invalid API key'));
    }
    return Promise.resolve(
      principal(match[1], match[2] === 'right' ? ['email:send'] : ['email:read']),
    );
  },
} as unknown as AuthenticatorService;

function guardWith(rateLimit: Partial<AppEnv['rateLimit']>): AuthGuard {
  const env = envWith(rateLimit);
  return new AuthGuard(
    new Reflector(),
    authenticator,
    new AuthFailureThrottle(env),
    new ApiKeyRateLimit(env),
  );
}

/** One request through the guard: its principal, or the AppException it was refused with. */
async function pass(
  guard: AuthGuard,
  options: { ip?: string; authorization?: string; open?: boolean } = {},
): Promise<Principal | AppException | true> {
  const request: Record<string, unknown> = {
    ip: options.ip ?? '10.0.0.1',
    headers: options.authorization === undefined ? {} : { authorization: options.authorization },
  };
  const target = options.open === true ? OpenController : ClosedController;
  const context = {
    getHandler: () => target.prototype.handler,
    getClass: () => target,
    switchToHttp: () => ({ getRequest: () => request }),
  } as unknown as ExecutionContext;
  try {
    expect(await guard.canActivate(context)).toBe(true);
    return (request[PRINCIPAL_KEY] as Principal | undefined) ?? true;
  } catch (error) {
    if (error instanceof AppException) {
      return error;
    }
    throw error;
  }
}

function refusal(run: () => unknown): AppException {
  try {
    run();
  } catch (error) {
    if (error instanceof AppException) {
      return error;
    }
    throw error;
  }
  throw new Error('expected a refusal');
}

const code = (outcome: unknown): number | undefined =>
  outcome instanceof AppException ? outcome.status : undefined;

describe('ApiKeyRateLimit (per API key id)', () => {
  it('allows the burst, then answers 429 with Retry-After, per key id', () => {
    const limit = new ApiKeyRateLimit(envWith({ rps: 1, burst: 3 }));
    for (let i = 0; i < 3; i += 1) {
      limit.take(principal('mgk_a'));
    }
    const error = refusal(() => limit.take(principal('mgk_a')));
    expect(error.apiCode).toBe(ApiCode.RateLimited);
    expect(error.status).toBe(429);
    expect(error.headers).toEqual({ 'retry-after': '1' });
    expect(error.data).toMatchObject({ retryAfterSeconds: 1, limitPerSecond: 1, burst: 3 });
    // Another key has its own bucket.
    expect(() => limit.take(principal('mgk_b'))).not.toThrow();
  });

  it('is off with rps 0', () => {
    const off = new ApiKeyRateLimit(envWith({ rps: 0, burst: 1 }));
    for (let i = 0; i < 5; i += 1) {
      expect(() => off.take(principal('mgk_a'))).not.toThrow();
    }
  });

  it('rounds Retry-After up to whole seconds (334 ms -> 1)', () => {
    const limit = new ApiKeyRateLimit(envWith({ rps: 3, burst: 1 }));
    limit.take(principal('mgk_a'));
    const error = refusal(() => limit.take(principal('mgk_a')));
    expect(error.headers['retry-after']).toBe('1');
    expect(error.message).toMatch(/retry after 1 s/);
  });
});

describe('AuthFailureThrottle (failed attempts per IP and key id)', () => {
  it('refuses a client once its failures spent the budget, and only that client', () => {
    const throttle = new AuthFailureThrottle(envWith({ authFailureRps: 1, authFailureBurst: 2 }));
    for (let i = 0; i < 2; i += 1) {
      throttle.failed(throttle.admit('10.0.0.1', 'Bearer mgk_a.wrong'));
    }
    const error = refusal(() => throttle.admit('10.0.0.1', 'Bearer mgk_a.other'));
    expect(error.apiCode).toBe(ApiCode.RateLimited);
    expect(error.headers).toEqual({ 'retry-after': '1' });
    expect(throttle.admit('10.0.0.1', 'Bearer mgk_b.x')).toBe('10.0.0.1|mgk_b');
    expect(throttle.admit('10.0.0.2', 'Bearer mgk_a.x')).toBe('10.0.0.2|mgk_a');
  });

  it('is off with rps 0', () => {
    const off = new AuthFailureThrottle(envWith({ authFailureRps: 0, authFailureBurst: 1 }));
    for (let i = 0; i < 5; i += 1) {
      const key = off.admit('10.0.0.1', undefined);
      expect(key).toBeUndefined();
      off.failed(key);
    }
  });

  it.each([
    ['Bearer mgk_0123456789abcdef.secret', 'mgk_0123456789abcdef'],
    ['bearer root_x.secret', 'root_x'],
    ['authing mgk_0123456789abcdef:c2ln', 'mgk_0123456789abcdef'],
    ['Bearer nodot', '-'],
    ['Basic dXNlcjpwYXNz', '-'],
    [`Bearer ${'a'.repeat(65)}.s`, '-'],
    [undefined, '-'],
  ])('reads the presented key id of %p as %p', (authorization, expected) => {
    expect(presentedKeyId(authorization)).toBe(expected);
  });
});

describe('AuthGuard (throttle, key, scopes, rate limit in one step)', () => {
  it('stores the principal of a valid key that holds the scopes', async () => {
    const outcome = await pass(guardWith({}), { authorization: 'Bearer mgk_a.right' });
    expect(outcome).toEqual(principal('mgk_a'));
  });

  it('counts failed keys and missing scopes; past the budget even the right secret waits', async () => {
    const guard = guardWith({ authFailureRps: 1, authFailureBurst: 2 });
    expect(code(await pass(guard, { authorization: 'Bearer mgk_a.wrong' }))).toBe(401);
    expect(code(await pass(guard, { authorization: 'Bearer mgk_a.read' }))).toBe(403);
    const refused = await pass(guard, { authorization: 'Bearer mgk_a.right' });
    expect(code(refused)).toBe(429);
    expect((refused as AppException).apiCode).toBe(ApiCode.RateLimited);
    // Other key ids and other IPs are not held back.
    expect(await pass(guard, { authorization: 'Bearer mgk_b.right' })).toEqual(principal('mgk_b'));
    expect(await pass(guard, { authorization: 'Bearer mgk_a.right', ip: '10.0.0.2' })).toEqual(
      principal('mgk_a'),
    );
  });

  it('does not count successes', async () => {
    const guard = guardWith({ authFailureRps: 1, authFailureBurst: 1 });
    for (let i = 0; i < 10; i += 1) {
      expect(await pass(guard, { authorization: 'Bearer mgk_a.right' })).toEqual(
        principal('mgk_a'),
      );
    }
  });

  it('counts requests without a key per IP and exempts public routes', async () => {
    const guard = guardWith({ authFailureRps: 1, authFailureBurst: 1 });
    expect(code(await pass(guard))).toBe(401);
    expect(code(await pass(guard))).toBe(429);
    expect(await pass(guard, { open: true })).toBe(true);
  });

  it('applies the per-key rate limit after authentication, not to public routes', async () => {
    const guard = guardWith({ rps: 1, burst: 2 });
    expect(await pass(guard, { authorization: 'Bearer mgk_a.right' })).toEqual(principal('mgk_a'));
    expect(await pass(guard, { authorization: 'Bearer mgk_a.right' })).toEqual(principal('mgk_a'));
    expect(code(await pass(guard, { authorization: 'Bearer mgk_a.right' }))).toBe(429);
    for (let i = 0; i < 5; i += 1) {
      expect(await pass(guard, { open: true })).toBe(true);
    }
    // A rate-limited request is not a failed authentication.
    expect(code(await pass(guard, { authorization: 'Bearer mgk_b.right' }))).toBeUndefined();
  });
});

describe('rate limit settings (loadEnv)', () => {
  let dataDir: string;
  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'mailgate-rl-env-'));
  });
  afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

  it('defaults to 1000/s with bursts of 2000 per key, 10/s and 100 failed authentications', () => {
    expect(loadEnv({ MAILGATE_DATA_DIR: dataDir }).rateLimit).toEqual({
      rps: 1000,
      burst: 2000,
      authFailureRps: 10,
      authFailureBurst: 100,
    });
  });

  it('reads the variables; an unset burst follows the rate; 0 turns a limit off', () => {
    expect(
      loadEnv({
        MAILGATE_DATA_DIR: dataDir,
        MAILGATE_RATE_LIMIT_RPS: '50',
        MAILGATE_AUTH_FAILURE_RPS: '0',
      }).rateLimit,
    ).toEqual({ rps: 50, burst: 100, authFailureRps: 0, authFailureBurst: 100 });
    expect(
      loadEnv({
        MAILGATE_DATA_DIR: dataDir,
        MAILGATE_RATE_LIMIT_RPS: '0',
        MAILGATE_RATE_LIMIT_BURST: '7',
        MAILGATE_AUTH_FAILURE_BURST: '3',
      }).rateLimit,
    ).toMatchObject({ rps: 0, burst: 7, authFailureBurst: 3 });
  });

  it('names every bad rate limit variable', () => {
    let caught: unknown;
    try {
      loadEnv({
        MAILGATE_DATA_DIR: dataDir,
        MAILGATE_RATE_LIMIT_RPS: '-1',
        MAILGATE_RATE_LIMIT_BURST: '0',
        MAILGATE_AUTH_FAILURE_RPS: 'lots',
        MAILGATE_AUTH_FAILURE_BURST: '1.5',
      });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(EnvValidationError);
    expect((caught as EnvValidationError).problems.map((p) => p.split(' ')[0])).toEqual([
      'MAILGATE_RATE_LIMIT_RPS',
      'MAILGATE_AUTH_FAILURE_RPS',
      'MAILGATE_RATE_LIMIT_BURST',
      'MAILGATE_AUTH_FAILURE_BURST',
    ]);
  });
});
