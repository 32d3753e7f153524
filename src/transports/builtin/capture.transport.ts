import MailComposer from 'nodemailer/lib/mail-composer';
import {
  fromOf,
  type EmailAddress,
  type MailTransport,
  type OutboundEmail,
  type SendResult,
} from '../mail-transport.interface';
import { toMailOptions } from '../outbound-message';
import { BUILTIN_TRANSPORT_NAME } from '../transports.constants';

/**
 * `capture://`: renders with nodemailer's MailComposer the exact MIME an SMTP adapter would put
 * on the wire (CRLF, no Bcc header) and hands it back in `capturedMime`; nothing leaves the
 * process. Development only: the factory refuses it in production.
 */
export class CaptureTransport implements MailTransport {
  readonly name: string;

  constructor(
    private readonly defaultFrom: EmailAddress,
    name: string = BUILTIN_TRANSPORT_NAME,
  ) {
    this.name = name;
  }

  async send(message: OutboundEmail): Promise<SendResult> {
    const root = new MailComposer(
      toMailOptions(message, fromOf(message, this.defaultFrom)!),
    ).compile();
    const raw = await root.build();
    return {
      providerMessageId: root.messageId(),
      accepted: root.getEnvelope().to,
      rejected: [],
      capturedMime: raw.toString('utf8'),
    };
  }

  async verify(): Promise<void> {}

  async close(): Promise<void> {}
}
