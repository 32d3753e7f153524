import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import { ApiCode } from '../common/api-code.enum';
import { AppException } from '../common/app.exception';
import { LOGGER } from '../common/logger.constants';
import { SecretCipher } from '../common/secret-cipher';
import { ApiKeyCache } from './api-key-cache';
import type { ApiKeyEntity } from './api-key.entity';
import {
  ApiKeySecretHasher,
  generateKeyId,
  generateSecret,
  secretAssociatedData,
} from './api-key-secrets';
import { ApiKeysRepository } from './api-keys.repository';
import type { ApiKeyDto, CreatedApiKeyDto, RevokedApiKeyDto } from './dto/api-key.dto';
import type { CreateApiKeyDto } from './dto/create-api-key.dto';
import type { Principal } from './principal';
import { SCOPES } from './scope.enum';
import { KEY_ID_RE } from './tenancy.constants';
import { TenantsService } from './tenants.service';

function toDto(key: ApiKeyEntity): ApiKeyDto {
  return {
    id: key.id,
    tenant: key.tenantId,
    name: key.name,
    scopes: key.scopes,
    createdAt: key.createdAt.toISOString(),
    createdBy: key.createdBy,
    lastUsedAt: key.lastUsedAt?.toISOString() ?? null,
    revokedAt: key.revokedAt?.toISOString() ?? null,
  };
}

@Injectable()
export class ApiKeysService {
  private readonly log: Logger;

  constructor(
    @Inject(LOGGER) logger: Logger,
    private readonly keys: ApiKeysRepository,
    private readonly tenants: TenantsService,
    private readonly cipher: SecretCipher,
    private readonly hasher: ApiKeySecretHasher,
    private readonly cache: ApiKeyCache,
  ) {
    this.log = logger.child({ module: 'api-keys' });
  }

  async create(principal: Principal, dto: CreateApiKeyDto): Promise<CreatedApiKeyDto> {
    // Canonical order, no duplicates.
    const scopes = SCOPES.filter((scope) => dto.scopes.includes(scope));
    const beyond = scopes.filter((scope) => !principal.scopes.includes(scope));
    if (beyond.length > 0) {
      throw new AppException(
        ApiCode.MissingScope,
        `An API key cannot grant scopes it does not hold: ${beyond.join(', ')}`,
        { missingScopes: beyond },
      );
    }
    await this.tenants.ensureTenant(principal.tenantId);
    const id = generateKeyId();
    const secret = generateSecret();
    const key = await this.keys.insert({
      id,
      tenantId: principal.tenantId,
      name: dto.name ?? null,
      scopes,
      secretHash: this.hasher.hash(id, secret),
      secretCiphertext: this.cipher.encrypt(secret, secretAssociatedData(id)),
      createdBy: principal.keyId,
    });
    this.cache.invalidate(id);
    this.log.info(
      { keyId: id, tenantId: key.tenantId, scopes, by: principal.keyId },
      'API key created',
    );
    return {
      id,
      secret,
      token: `${id}.${secret}`,
      tenant: key.tenantId,
      scopes: key.scopes,
      name: key.name,
      createdAt: key.createdAt.toISOString(),
    };
  }

  async list(principal: Principal): Promise<ApiKeyDto[]> {
    return (await this.keys.listByTenant(principal.tenantId)).map(toDto);
  }

  /** Revokes a key of the caller's tenant; another tenant's key is answered as not found. */
  async revoke(principal: Principal, id: string): Promise<RevokedApiKeyDto> {
    const key = KEY_ID_RE.test(id) ? await this.keys.revoke(principal.tenantId, id) : null;
    if (key === null || key.revokedAt === null) {
      throw new AppException(ApiCode.NotFound, `API key ${id} not found`);
    }
    this.cache.invalidate(id);
    this.log.info({ keyId: id, tenantId: key.tenantId, by: principal.keyId }, 'API key revoked');
    return { id, revokedAt: key.revokedAt.toISOString() };
  }
}
