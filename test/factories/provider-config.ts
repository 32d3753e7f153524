import { randomBytes } from 'node:crypto';
import { ManagementClient } from 'authing-node-sdk';
import { http, type HttpResult, type TestApp } from '../support/test-app';
import { rootHeaders, type TestKey } from './emails';

export { newTenantId, rootHeaders, type TestKey } from './emails';

/** A running gateway: the in-process test app or a child process. */
export type Gateway = Pick<TestApp, 'baseUrl'>;

/** Creates an API key of `tenantId` with the root key, as an operator would. */
export async function createKey(
  g: Gateway,
  tenantId: string,
  scopes: string[] = ['provider:write', 'provider:read'],
): Promise<TestKey> {
  const res = await http(g.baseUrl, 'POST', '/v1/api-keys', {
    headers: rootHeaders(tenantId),
    body: { name: 'provider-config test', scopes },
  });
  if (res.status !== 201) {
    throw new Error(`creating a key failed: ${res.status} ${res.text}`);
  }
  return res.body.data as TestKey;
}

/** What reads show instead of a secret. */
export const MASK = '********';

/** A unique secret per call, so a scan for it can only hit where this test put it. */
export function aSecret(label = 'secret'): string {
  return `${label}-${randomBytes(9).toString('base64url')}`;
}

export interface SmtpTarget {
  host?: string;
  port: number;
  user: string;
  pass: string;
  secure?: boolean;
}

export function smtpBlock(target: SmtpTarget): Record<string, unknown> {
  return {
    smtp_host: target.host ?? '127.0.0.1',
    smtp_port: target.port,
    sender: target.user,
    senderPass: target.pass,
    secure: target.secure ?? false,
  };
}

/** A valid `config-email-provider` body of each type (secrets fresh unless given). */
export function customBody(
  target: Partial<SmtpTarget> = {},
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    type: 'custom',
    enabled: true,
    smtpConfig: smtpBlock({
      host: target.host ?? 'smtp.example.test',
      port: target.port ?? 465,
      user: target.user ?? 'mailer@example.test',
      pass: target.pass ?? aSecret('smtp'),
      secure: target.secure ?? true,
    }),
    ...extra,
  };
}

export function sendGridBody(
  apikey = `SG.${aSecret('key')}`,
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    type: 'sendgrid',
    enabled: true,
    sendGridConfig: { sender: 'noreply@example.test', apikey },
    ...extra,
  };
}

export function aliBody(
  senderPass = aSecret('ali'),
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    type: 'ali',
    enabled: true,
    aliExmailConfig: { sender: 'mailer@ali.example.test', senderPass },
    ...extra,
  };
}

export function qqBody(
  senderPass = aSecret('qq'),
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    type: 'qq',
    enabled: true,
    tencentExmailConfig: { sender: 'mailer@qq.example.test', senderPass },
    ...extra,
  };
}

/** The block key of each type and its secret field. */
export const BLOCKS = {
  custom: ['smtpConfig', 'senderPass'],
  sendgrid: ['sendGridConfig', 'apikey'],
  ali: ['aliExmailConfig', 'senderPass'],
  qq: ['tencentExmailConfig', 'senderPass'],
} as const;

export function bodyOfType(type: keyof typeof BLOCKS, secret: string): Record<string, unknown> {
  switch (type) {
    case 'custom':
      return customBody({ pass: secret });
    case 'sendgrid':
      return sendGridBody(secret);
    case 'ali':
      return aliBody(secret);
    case 'qq':
      return qqBody(secret);
  }
}

/** GenAuth's own client, signing with the key's id and secret, pointed at the gateway. */
export function sdkClient(t: Gateway, key: Pick<TestKey, 'id' | 'secret'>): ManagementClient {
  return new ManagementClient({
    accessKeyId: key.id,
    accessKeySecret: key.secret,
    host: t.baseUrl,
    timeout: 10_000,
  });
}

type Any = any;

export function configure(t: Gateway, token: string, body: unknown): Promise<HttpResult<Any>> {
  return http(t.baseUrl, 'POST', '/api/v3/config-email-provider', { token, body });
}

export function getProvider(t: Gateway, token: string): Promise<HttpResult<Any>> {
  return http(t.baseUrl, 'GET', '/api/v3/get-email-provider', { token });
}

export function history(t: Gateway, token: string, query = ''): Promise<HttpResult<Any>> {
  return http(t.baseUrl, 'GET', `/api/v3/email-provider-history${query}`, { token });
}

export function verify(t: Gateway, token: string, body?: unknown): Promise<HttpResult<Any>> {
  return http(t.baseUrl, 'POST', '/api/v3/verify-email-provider', { token, body });
}

export function sendTest(t: Gateway, token: string, body: unknown): Promise<HttpResult<Any>> {
  return http(t.baseUrl, 'POST', '/api/v3/send-test-email', { token, body });
}

export interface AuditEntry {
  id: string;
  version: number;
  action: string;
  actorKeyId: string | null;
  changes: Record<string, unknown>;
  createdAt: string;
}

/** The audit entries of a history answer. */
export function entriesOf(res: HttpResult<Any>): AuditEntry[] {
  return res.body.data.list as AuditEntry[];
}

/** The sorted field paths a 400 answer names. */
export function failingFields(res: HttpResult<Any>): string[] {
  return (res.body.data.errors as Array<{ field: string }>).map((e) => e.field).sort();
}
