/** Injection token of the optional `TransportFactoryOptions` (tests point presets and TLS trust at loopback servers). */
export const TRANSPORT_FACTORY_OPTIONS = Symbol('TRANSPORT_FACTORY_OPTIONS');

/** `MailTransport.name` of the built-in mailer. */
export const BUILTIN_TRANSPORT_NAME = 'builtin';

/** `MailTransport.name` of a tenant's provider adapter. */
export function providerTransportName(type: string): string {
  return `provider:${type}`;
}

/** Bounded waits so a dead or stalling server cannot hold a dispatcher slot for minutes. */
export const DEFAULT_CONNECTION_TIMEOUT_MS = 10_000;
export const DEFAULT_GREETING_TIMEOUT_MS = 10_000;
export const DEFAULT_SOCKET_TIMEOUT_MS = 10_000;
export const DEFAULT_HTTP_TIMEOUT_MS = 10_000;

/** A few connections per tenant; each is recycled after `maxMessages` (some servers cap messages per session). */
export const DEFAULT_SMTP_MAX_CONNECTIONS = 3;
export const DEFAULT_SMTP_MAX_MESSAGES = 100;

/** SendGrid requests in flight per adapter when the tenant sets none (provider-concurrency.ts). */
export const DEFAULT_SENDGRID_MAX_CONNECTIONS = 16;

/** close() waits this long for sends already started (dispatcher SIGTERM, config change) before cutting them off. */
export const DEFAULT_CLOSE_GRACE_MS = 15_000;
