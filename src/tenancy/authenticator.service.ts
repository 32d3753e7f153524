import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { ApiCode } from '../common/api-code.enum';
import { AppException, ValidationException } from '../common/app.exception';
import { LOGGER } from '../common/logger.constants';
import { SecretCipher } from '../common/secret-cipher';
import { APP_ENV } from '../config/app-env.constants';
import type { AppEnv } from '../config/env';
import { ApiKeyCache } from './api-key-cache';
import type { ApiKeyEntity } from './api-key.entity';
import { ApiKeySecretHasher, secretAssociatedData } from './api-key-secrets';
import { ApiKeysRepository } from './api-keys.repository';
import { AuthNoncesRepository } from './auth-nonces.repository';
import { digestEqual } from './constant-time';
import {
  AUTHING_SCHEME,
  candidateStringsToSign,
  NONCE_HEADER,
  parseAuthingAuthorization,
  SIGNATURE_METHOD_HEADER,
  verifySignature,
} from './genauth-signature';
import type { Principal } from './principal';
import { SCOPES } from './scope.enum';
import {
  isTenantId,
  KEY_ID_RE,
  LAST_USED_RESOLUTION_MS,
  NONCE_PRUNE_INTERVAL_MS,
  NONCE_RETENTION_MARGIN_MS,
  SIGNATURE_WINDOW_MS,
  TENANT_HEADER,
} from './tenancy.constants';

const MAX_NONCE_LENGTH = 128;
const INVALID_KEY = 'Invalid API key';

function unauthenticated(message: string, code = ApiCode.Unauthenticated): AppException {
  return new AppException(code, message, null, {
    'www-authenticate': 'Bearer realm="mailgate"',
  });
}

function header(request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name];
  const text = Array.isArray(value) ? value.join(', ') : value;
  return text === undefined || text.trim() === '' ? undefined : text.trim();
}

/**
 * Resolves the caller of a request from `Authorization`: `Bearer <key id>.<secret>` (API keys and
 * the root key) or GenAuth's `authing <key id>:<signature>` (API keys only). Never logs secrets.
 */
@Injectable()
export class AuthenticatorService implements OnModuleDestroy {
  private readonly log: Logger;
  private readonly root?: { keyId: string; token: string };
  private readonly lastTouched = new Map<string, number>();
  private readonly background = new Set<Promise<void>>();
  private lastPrune = 0;

  constructor(
    @Inject(APP_ENV) env: AppEnv,
    @Inject(LOGGER) logger: Logger,
    private readonly cipher: SecretCipher,
    private readonly hasher: ApiKeySecretHasher,
    private readonly keys: ApiKeysRepository,
    private readonly nonces: AuthNoncesRepository,
    private readonly cache: ApiKeyCache,
  ) {
    this.log = logger.child({ module: 'auth' });
    const rootKey = env.app.rootKey;
    if (rootKey !== undefined) {
      this.root = { keyId: rootKey.slice(0, rootKey.indexOf('.')), token: rootKey };
    }
  }

  async authenticate(request: FastifyRequest): Promise<Principal> {
    const authorization = header(request, 'authorization');
    if (authorization === undefined) {
      throw unauthenticated(
        'Missing API key: send "Authorization: Bearer <key id>.<secret>" or a GenAuth signature',
      );
    }
    const space = authorization.indexOf(' ');
    const scheme = (space === -1 ? authorization : authorization.slice(0, space)).toLowerCase();
    const credentials = space === -1 ? '' : authorization.slice(space + 1).trim();
    if (scheme === 'bearer') {
      return this.bearer(request, credentials);
    }
    if (scheme === AUTHING_SCHEME) {
      return this.signed(request, credentials);
    }
    throw unauthenticated('Unsupported authorization scheme: use Bearer or authing');
  }

  /** Flushes pending last-used writes and prunes before the database closes. */
  async onModuleDestroy(): Promise<void> {
    await Promise.allSettled([...this.background]);
  }

  private async bearer(request: FastifyRequest, token: string): Promise<Principal> {
    const dot = token.indexOf('.');
    if (dot <= 0) {
      throw unauthenticated('Malformed API key: expected <key id>.<secret>');
    }
    const keyId = token.slice(0, dot);
    if (this.root !== undefined && keyId === this.root.keyId) {
      if (!digestEqual(token, this.root.token)) {
        throw unauthenticated(INVALID_KEY);
      }
      return this.rootPrincipal(request);
    }
    const key = await this.activeKey(keyId);
    if (key === undefined || !this.hasher.verify(keyId, token.slice(dot + 1), key.secretHash)) {
      throw unauthenticated(INVALID_KEY);
    }
    return this.keyPrincipal(request, key);
  }

  private async signed(request: FastifyRequest, credentials: string): Promise<Principal> {
    const parsed = parseAuthingAuthorization(credentials);
    if (parsed === undefined) {
      throw unauthenticated('Malformed authorization: expected "authing <key id>:<signature>"');
    }
    if (this.root !== undefined && parsed.keyId === this.root.keyId) {
      throw unauthenticated('The root key authenticates with Bearer only');
    }
    const key = await this.activeKey(parsed.keyId);
    if (key === undefined) {
      throw unauthenticated(INVALID_KEY);
    }
    const method = header(request, SIGNATURE_METHOD_HEADER);
    if (method !== undefined && method !== 'HMAC-SHA1') {
      throw unauthenticated('Unsupported signature method: only HMAC-SHA1', ApiCode.BadSignature);
    }
    const secret = this.cache.secretOf(key, (k) =>
      this.cipher.decrypt(k.secretCiphertext, secretAssociatedData(k.id)),
    );
    const candidates = candidateStringsToSign({
      method: request.method,
      url: request.url,
      headers: request.headers,
      body: request.body,
    });
    if (!verifySignature(secret, parsed.signature, candidates)) {
      throw unauthenticated('Signature does not match the request', ApiCode.BadSignature);
    }
    // Checked after the signature, so only the key's holder learns about their clock or nonce.
    const signedAt = Date.parse(header(request, 'date') ?? '');
    if (Number.isNaN(signedAt)) {
      throw unauthenticated('Signed requests need a valid date header', ApiCode.BadSignature);
    }
    if (Math.abs(Date.now() - signedAt) > SIGNATURE_WINDOW_MS) {
      throw unauthenticated(
        'Request date is more than 15 minutes from the server time',
        ApiCode.SignatureExpired,
      );
    }
    const nonce = header(request, NONCE_HEADER);
    if (nonce === undefined || nonce.length > MAX_NONCE_LENGTH) {
      throw unauthenticated(
        `Signed requests need an ${NONCE_HEADER} header of at most ${MAX_NONCE_LENGTH} characters`,
        ApiCode.BadSignature,
      );
    }
    const expiresAt = new Date(signedAt + SIGNATURE_WINDOW_MS + NONCE_RETENTION_MARGIN_MS);
    if (!(await this.nonces.claim(key.tenantId, key.id, nonce, expiresAt))) {
      throw unauthenticated('Signature nonce was already used', ApiCode.NonceReplayed);
    }
    this.maybePruneNonces();
    return this.keyPrincipal(request, key);
  }

  /** A key that exists and is not revoked, through the short-lived cache. */
  private async activeKey(keyId: string): Promise<ApiKeyEntity | undefined> {
    if (!KEY_ID_RE.test(keyId)) {
      return undefined;
    }
    const key = await this.cache.get(keyId, (id) => this.keys.findById(id));
    return key === null || key.revokedAt !== null ? undefined : key;
  }

  private rootPrincipal(request: FastifyRequest): Principal {
    const tenantId = header(request, TENANT_HEADER);
    if (tenantId === undefined) {
      throw new ValidationException([
        {
          field: TENANT_HEADER,
          messages: [`the root key needs header ${TENANT_HEADER} naming the tenant to act on`],
        },
      ]);
    }
    if (!isTenantId(tenantId)) {
      throw new ValidationException([
        { field: TENANT_HEADER, messages: ['must be 1-64 characters of A-Z a-z 0-9 _ -'] },
      ]);
    }
    return { tenantId, keyId: this.root!.keyId, scopes: SCOPES, root: true };
  }

  private keyPrincipal(request: FastifyRequest, key: ApiKeyEntity): Principal {
    // A key acts only on its own tenant; naming another one is refused rather than ignored.
    const named = header(request, TENANT_HEADER);
    if (named !== undefined && named !== key.tenantId) {
      throw new AppException(
        ApiCode.MissingScope,
        `This API key belongs to another tenant than ${TENANT_HEADER} names`,
      );
    }
    this.touch(key);
    return { tenantId: key.tenantId, keyId: key.id, scopes: key.scopes, root: false };
  }

  /** At most one last_used_at write per key and minute, off the request path. */
  private touch(key: ApiKeyEntity): void {
    const now = Date.now();
    const last = Math.max(this.lastTouched.get(key.id) ?? 0, key.lastUsedAt?.getTime() ?? 0);
    if (now - last < LAST_USED_RESOLUTION_MS) {
      return;
    }
    if (this.lastTouched.size >= 10_000) {
      this.lastTouched.clear();
    }
    this.lastTouched.set(key.id, now);
    this.track(this.keys.touchLastUsed(key.id), 'could not record API key use');
  }

  private maybePruneNonces(): void {
    const now = Date.now();
    if (now - this.lastPrune < NONCE_PRUNE_INTERVAL_MS) {
      return;
    }
    this.lastPrune = now;
    this.track(
      this.nonces.pruneExpired().then((deleted) => {
        if (deleted > 0) {
          this.log.debug({ deleted }, 'pruned expired signature nonces');
        }
      }),
      'could not prune signature nonces',
    );
  }

  private track(work: Promise<void>, failure: string): void {
    const tracked = work.catch((err: unknown) => this.log.warn({ err }, failure));
    this.background.add(tracked);
    void tracked.finally(() => this.background.delete(tracked));
  }
}
