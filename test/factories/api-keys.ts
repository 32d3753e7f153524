import { randomBytes } from 'node:crypto';
import type { Scope } from '../../src/tenancy/scope.enum';
import { http, TEST_ROOT_KEY } from '../support/test-app';

/** A fresh tenant id shaped like a GenAuth userpool id (24 hex digits). */
export function newTenantId(): string {
  return randomBytes(12).toString('hex');
}

/** Headers of a root-key request acting on `tenant`. */
export function rootHeaders(tenant: string): Record<string, string> {
  return { authorization: `Bearer ${TEST_ROOT_KEY}`, 'x-authing-userpool-id': tenant };
}

export interface CreatedKey {
  id: string;
  secret: string;
  token: string;
  tenant: string;
  scopes: Scope[];
  name: string | null;
  createdAt: string;
}

/** Creates an API key of `tenant` with the root key, over HTTP; fails loudly on anything but 201. */
export async function createApiKey(
  baseUrl: string,
  tenant: string,
  scopes: Scope[],
  name?: string,
): Promise<CreatedKey> {
  const res = await http<{ data: CreatedKey }>(baseUrl, 'POST', '/v1/api-keys', {
    headers: rootHeaders(tenant),
    body: { scopes, ...(name === undefined ? {} : { name }) },
  });
  if (res.status !== 201) {
    throw new Error(`creating an API key answered ${res.status}: ${res.text}`);
  }
  return res.body.data;
}
