import type { Scope } from '../scope.enum';

/** A key as listed: never its secret. */
export interface ApiKeyDto {
  id: string;
  tenant: string;
  name: string | null;
  scopes: Scope[];
  createdAt: string;
  createdBy: string | null;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

/** The creation answer, the only place the secret ever appears. */
export interface CreatedApiKeyDto {
  id: string;
  secret: string;
  /** Bearer token: `<id>.<secret>`. */
  token: string;
  tenant: string;
  scopes: Scope[];
  name: string | null;
  createdAt: string;
}

export interface RevokedApiKeyDto {
  id: string;
  revokedAt: string;
}
