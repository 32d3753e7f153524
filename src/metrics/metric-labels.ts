import { PROVIDER_TYPES } from '../provider-config/provider-type.enum';
import { DELIVERY_ERROR_CLASSES } from '../transports/delivery-error';
import { BUILTIN_TRANSPORT_NAME, providerTransportName } from '../transports/transports.constants';

/** Label values are closed sets: anything unexpected becomes `other`, never a new series. */
export const OTHER = 'other';

/** The `transport` label of an attempt for which no transport could be resolved (README). */
export const UNRESOLVED_TRANSPORT_LABEL = 'unresolved';

/** `MailTransport.name`s. */
const TRANSPORTS: ReadonlySet<string> = new Set([
  BUILTIN_TRANSPORT_NAME,
  ...PROVIDER_TYPES.map(providerTransportName),
]);

const ERROR_CLASSES: ReadonlySet<string> = new Set(DELIVERY_ERROR_CLASSES);

export type AcceptRoute = 'single' | 'batch';

/** What became of one send attempt; `fallback` = the provider failed and the built-in mailer takes over. */
export type AttemptOutcome = 'sent' | 'retry' | 'failed' | 'fallback';

/** The `reason` label of a built-in fallback: the kinds of the dispatcher's FallbackReason. */
export const FALLBACK_KINDS = [
  'no_provider',
  'provider_disabled',
  'provider_auth_failed',
  'provider_retries_exhausted',
] as const;
export type FallbackKind = (typeof FALLBACK_KINDS)[number];

export const CIRCUIT_STATES = ['closed', 'open', 'half_open'] as const;

export function circuitStateLabel(state: string): string {
  return (CIRCUIT_STATES as readonly string[]).includes(state) ? state : OTHER;
}

export function providerTypeLabel(type: string): string {
  return (PROVIDER_TYPES as readonly string[]).includes(type) ? type : OTHER;
}

/** `name` null: the dispatcher could not resolve a transport for the attempt. */
export function transportLabel(name: string | null): string {
  if (name === null) {
    return UNRESOLVED_TRANSPORT_LABEL;
  }
  return TRANSPORTS.has(name) ? name : OTHER;
}

export function errorClassLabel(errorClass: string): string {
  return ERROR_CLASSES.has(errorClass) ? errorClass : OTHER;
}
