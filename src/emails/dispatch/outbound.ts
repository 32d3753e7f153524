import type { OutboundEmail } from '../../transports/mail-transport.interface';
import type { ClaimedMessage } from '../email-dispatch.repository';
import type { EmailPayload } from '../email-request.validator';
import type { Outcome } from '../recipient-outcomes';

/** A claimed message with its content opened (ContentSealer.open). */
export type OpenedMessage = Omit<ClaimedMessage, 'payload'> & { payload: EmailPayload };

/** A claimed message with the recipients this attempt goes to (the rest are final or suppressed). */
export interface PlannedMessage extends ClaimedMessage {
  plan: { all: string[]; attempt: string[]; outcome: Outcome };
  /** Epoch ms when this worker claimed it, and when its lease runs out (bookkeeping retried until then). */
  claimedAt: number;
  leaseEnd: number;
}

export function toOutbound(
  message: OpenedMessage & { plan?: PlannedMessage['plan'] },
): OutboundEmail {
  const p = message.payload;
  const plan = message.plan;
  return {
    envelopeTo:
      plan === undefined || plan.attempt.length === plan.all.length ? undefined : plan.attempt,
    messageId: message.id,
    from: p.from,
    fromName: p.fromName,
    to: p.to,
    cc: p.cc,
    bcc: p.bcc,
    replyTo: p.replyTo,
    subject: p.subject,
    text: p.text,
    html: p.html,
    headers: p.headers,
    attachments: p.attachments?.map((a) => ({
      filename: a.filename,
      contentType: a.contentType,
      cid: a.cid,
      content: Buffer.from(a.content, 'base64'),
    })),
  };
}
