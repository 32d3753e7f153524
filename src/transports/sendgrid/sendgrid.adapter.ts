import { parseMailbox } from '../../common/addresses';
import { DeliveryError } from '../delivery-error';
import type { EmailAddress } from '../mail-transport.interface';
import type { ProviderAdapter } from '../provider-adapter';
import type { ProviderConcurrency } from '../provider-concurrency';
import { providerTransportName } from '../transports.constants';
import { SendGridTransport } from './sendgrid.transport';

/** A SendGrid account: its API key and the From of every message without its own. */
export interface SendGridAccount {
  apiKey: string;
  /** `addr` or `Name <addr>`, validated when saved. */
  from: string;
}

/** SendGrid publishes no concurrency limit for mail/send and counts volume per plan. */
const SENDGRID_DEFAULTS: Readonly<ProviderConcurrency> = {
  maxConnections: 16,
  maxMessagesPerConnection: null,
};

function defaultFrom(from: string): EmailAddress {
  const parsed = parseMailbox(from);
  if (!parsed.ok) {
    throw new DeliveryError('config', `SendGrid sender ${parsed.problem}`, {
      code: 'SENDER_INVALID',
    });
  }
  return parsed.value;
}

/** `type: 'sendgrid'`: the v3 Web API at SENDGRID_API_URL. */
export const SENDGRID_ADAPTER: ProviderAdapter<SendGridAccount> = {
  defaults: SENDGRID_DEFAULTS,
  create: (account, context) =>
    new SendGridTransport({
      name: providerTransportName('sendgrid'),
      apiKey: account.apiKey,
      baseUrl: context.env.mailer.sendgridApiUrl,
      defaultFrom: defaultFrom(account.from),
      timeoutMs: context.sendGridTimeoutMs,
      maxConnections: context.concurrency.maxConnections ?? SENDGRID_DEFAULTS.maxConnections,
    }),
};
