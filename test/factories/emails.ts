import { randomBytes } from 'node:crypto';
import { http, TEST_ROOT_KEY, type TestApp } from '../support/test-app';

/** A fresh tenant id, GenAuth userpool style (24 hex). */
export function newTenantId(): string {
  return randomBytes(12).toString('hex');
}

export function rootHeaders(tenantId: string): Record<string, string> {
  return { authorization: `Bearer ${TEST_ROOT_KEY}`, 'x-authing-userpool-id': tenantId };
}

export interface TestKey {
  id: string;
  secret: string;
  token: string;
}

/** Creates an API key of `tenantId` through the API, as an operator would, with the root key. */
export async function createKey(
  t: TestApp,
  tenantId: string,
  scopes: string[] = ['email:send', 'email:read', 'provider:write', 'provider:read'],
): Promise<TestKey> {
  const res = await http(t.baseUrl, 'POST', '/v1/api-keys', {
    headers: rootHeaders(tenantId),
    body: { name: 'test', scopes },
  });
  if (res.status !== 201) {
    throw new Error(`creating a key failed: ${res.status} ${res.text}`);
  }
  return res.body.data as TestKey;
}

export function anEmail(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    to: [{ name: 'Ada Lovelace', email: 'ada@example.test' }],
    subject: 'Your sign-in code',
    text: 'Your code is 123456',
    html: '<p>Your code is <b>123456</b></p>',
    ...overrides,
  };
}

/** Saves a custom SMTP provider for the tenant through GenAuth's route. */
export async function configureSmtp(
  t: TestApp,
  token: string,
  smtp: { port: number; user: string; pass: string },
  extra: Record<string, unknown> = {},
): Promise<void> {
  const res = await http(t.baseUrl, 'POST', '/api/v3/config-email-provider', {
    token,
    body: {
      type: 'custom',
      enabled: true,
      smtpConfig: {
        smtp_host: '127.0.0.1',
        smtp_port: smtp.port,
        sender: smtp.user,
        senderPass: smtp.pass,
        secure: false,
      },
      ...extra,
    },
  });
  if (res.body.statusCode !== 200) {
    throw new Error(`configuring SMTP failed: ${res.text}`);
  }
}
