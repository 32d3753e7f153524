import { PROVIDER_TYPES } from '../provider-config/provider-type.enum';
import { DELIVERY_ERROR_CLASSES } from '../transports/delivery-error';
import { BUILTIN_TRANSPORT_NAME, providerTransportName } from '../transports/transports.constants';

/** Label values are closed sets: anything unexpected becomes `other`, never a new series. */
export const OTHER = 'other';

/** `MailTransport.name`s, plus `unresolved` (the dispatcher could not pick a transport). */
const TRANSPORTS: ReadonlySet<string> = new Set([
  BUILTIN_TRANSPORT_NAME,
  'unresolved',
  ...PROVIDER_TYPES.map(providerTransportName),
]);

const ERROR_CLASSES: ReadonlySet<string> = new Set(DELIVERY_ERROR_CLASSES);

export type AcceptRoute = 'single' | 'batch';

/** What became of one send attempt; `fallback` = the provider failed and the built-in mailer takes over. */
export type AttemptOutcome = 'sent' | 'retry' | 'failed' | 'fallback';

export const FALLBACK_KINDS = [
  'no_provider',
  'provider_disabled',
  'provider_auth_failed',
  'provider_retries_exhausted',
  OTHER,
] as const;
export type FallbackKind = (typeof FALLBACK_KINDS)[number];

export const CIRCUIT_STATES = ['closed', 'open', 'half_open'] as const;

export function circuitStateLabel(state: string): string {
  return (CIRCUIT_STATES as readonly string[]).includes(state) ? state : OTHER;
}

export function providerTypeLabel(type: string): string {
  return (PROVIDER_TYPES as readonly string[]).includes(type) ? type : OTHER;
}

export function transportLabel(name: string): string {
  return TRANSPORTS.has(name) ? name : OTHER;
}

export function errorClassLabel(errorClass: string): string {
  return ERROR_CLASSES.has(errorClass) ? errorClass : OTHER;
}

/**
 * Maps the dispatcher's human fallback reason (stored on the message, may carry an error code)
 * to a bounded kind.
 */
export function fallbackKind(reason: string): FallbackKind {
  if (reason === 'no provider configured') {
    return 'no_provider';
  }
  if (reason === 'provider disabled') {
    return 'provider_disabled';
  }
  if (reason.startsWith('provider authentication failed')) {
    return 'provider_auth_failed';
  }
  if (reason.startsWith('provider retries exhausted')) {
    return 'provider_retries_exhausted';
  }
  return OTHER;
}
