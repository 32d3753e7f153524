import { EventEmitter } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ApiCode } from '../common/api-code.enum';
import { AppException } from '../common/app.exception';
import { EnvValidationError, loadEnv, type AppEnv } from '../config/env';
import { PRINCIPAL_KEY, Public } from './auth.decorators';
import { AuthThrottleGuard, presentedKeyId } from './auth-throttle.guard';
import type { Principal } from './principal';
import { RateLimitGuard } from './rate-limit.guard';

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

interface FakeHttp {
  request: Record<string | symbol, unknown>;
  raw: EventEmitter;
  context: ExecutionContext;
}

function http(
  options: { principal?: Principal; ip?: string; authorization?: string; open?: boolean } = {},
): FakeHttp {
  const request: Record<string | symbol, unknown> = {
    ip: options.ip ?? '10.0.0.1',
    headers: options.authorization === undefined ? {} : { authorization: options.authorization },
    [PRINCIPAL_KEY]: options.principal,
  };
  const raw = new EventEmitter();
  const target = options.open === true ? OpenController : ClosedController;
  const context = {
    getHandler: () => target.prototype.handler,
    getClass: () => target,
    switchToHttp: () => ({ getRequest: () => request, getResponse: () => ({ raw }) }),
  } as unknown as ExecutionContext;
  return { request, raw, context };
}

const principal = (keyId: string): Principal => ({
  tenantId: 't1',
  keyId,
  scopes: ['email:send'],
  root: false,
});

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

describe('RateLimitGuard (after AuthGuard, per API key id)', () => {
  it('allows the burst, then answers 429 with Retry-After, per key id', () => {
    const guard = new RateLimitGuard(envWith({ rps: 1, burst: 3 }));
    for (let i = 0; i < 3; i += 1) {
      expect(guard.canActivate(http({ principal: principal('mgk_a') }).context)).toBe(true);
    }
    const error = refusal(() => guard.canActivate(http({ principal: principal('mgk_a') }).context));
    expect(error.apiCode).toBe(ApiCode.RateLimited);
    expect(error.status).toBe(429);
    expect(error.headers).toEqual({ 'retry-after': '1' });
    expect(error.data).toMatchObject({ retryAfterSeconds: 1, limitPerSecond: 1, burst: 3 });
    // Another key has its own bucket.
    expect(guard.canActivate(http({ principal: principal('mgk_b') }).context)).toBe(true);
  });

  it('leaves public routes (no principal) alone, and is off with rps 0', () => {
    const limited = new RateLimitGuard(envWith({ rps: 1, burst: 1 }));
    for (let i = 0; i < 5; i += 1) {
      expect(limited.canActivate(http().context)).toBe(true);
    }
    const off = new RateLimitGuard(envWith({ rps: 0, burst: 1 }));
    for (let i = 0; i < 5; i += 1) {
      expect(off.canActivate(http({ principal: principal('mgk_a') }).context)).toBe(true);
    }
  });

  it('rounds Retry-After up to whole seconds (334 ms -> 1)', () => {
    const guard = new RateLimitGuard(envWith({ rps: 3, burst: 1 }));
    guard.canActivate(http({ principal: principal('mgk_a') }).context);
    const error = refusal(() => guard.canActivate(http({ principal: principal('mgk_a') }).context));
    expect(error.headers['retry-after']).toBe('1');
    expect(error.message).toMatch(/retry after 1 s/);
  });
});

describe('AuthThrottleGuard (before AuthGuard, failed attempts per IP and key id)', () => {
  const guard = (rps = 1, burst = 2): AuthThrottleGuard =>
    new AuthThrottleGuard(
      new Reflector(),
      envWith({ authFailureRps: rps, authFailureBurst: burst }),
    );

  /** Runs one request through the guard; `succeed` plays AuthGuard storing the principal. */
  function attempt(g: AuthThrottleGuard, options: Parameters<typeof http>[0], succeed: boolean) {
    const h = http(options);
    const result = g.canActivate(h.context);
    if (succeed) {
      h.request[PRINCIPAL_KEY] = principal('mgk_a');
    }
    h.raw.emit('close');
    return result;
  }

  it('refuses a client after its failure budget, with Retry-After', () => {
    const g = guard(1, 2);
    const bad = { authorization: 'Bearer mgk_a.wrong' };
    expect(attempt(g, bad, false)).toBe(true);
    expect(attempt(g, bad, false)).toBe(true);
    const error = refusal(() => attempt(g, bad, false));
    expect(error.apiCode).toBe(ApiCode.RateLimited);
    expect(error.headers).toEqual({ 'retry-after': '1' });
    // Even the right secret waits: guessing must not go on at full speed.
    expect(() => attempt(g, bad, true)).toThrow(AppException);
  });

  it('does not count successes, and keeps other key ids and IPs apart', () => {
    const g = guard(1, 2);
    for (let i = 0; i < 10; i += 1) {
      expect(attempt(g, { authorization: 'Bearer mgk_a.right' }, true)).toBe(true);
    }
    attempt(g, { authorization: 'Bearer mgk_a.wrong' }, false);
    attempt(g, { authorization: 'Bearer mgk_a.wrong' }, false);
    expect(() => attempt(g, { authorization: 'Bearer mgk_a.x' }, false)).toThrow(AppException);
    expect(attempt(g, { authorization: 'Bearer mgk_b.right' }, true)).toBe(true);
    expect(attempt(g, { authorization: 'Bearer mgk_a.x', ip: '10.0.0.2' }, true)).toBe(true);
  });

  it('counts requests without a key per IP, exempts public routes, and is off with rps 0', () => {
    const g = guard(1, 1);
    attempt(g, {}, false);
    expect(() => attempt(g, {}, false)).toThrow(AppException);
    expect(attempt(g, { open: true }, false)).toBe(true);
    const off = guard(0, 1);
    for (let i = 0; i < 5; i += 1) {
      expect(attempt(off, {}, false)).toBe(true);
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
