import type { EmailEventType, RecipientRecord } from './email-event-type.enum';

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** SendGrid's `custom_args` key carrying the outbox id (SendGridTransport sets it on every send). */
export const MAILGATE_ID_ARG = 'mailgate_id';

/** One SendGrid event as mailgate stores and applies it. */
export interface MappedEvent {
  /** The outbox id from custom_args, when it is one. */
  messageId: string | null;
  /** The X-Message-Id part of sg_message_id (before the first dot). */
  providerMessageId: string | null;
  providerEventId: string | null;
  recipient: string | null;
  type: EmailEventType;
  occurredAt: Date;
  /** The recipient's new state, when the event moves it. */
  state: RecipientRecord | null;
  suppress: 'hard_bounce' | 'complaint' | 'dropped' | 'unsubscribe' | null;
  /** The event as SendGrid sent it. */
  data: Record<string, unknown>;
}

function str(value: unknown, max = 320): string | null {
  return typeof value === 'string' && value.length > 0 && value.length <= max ? value : null;
}

/** SendGrid's unix-seconds timestamp; the receive time when it is missing or absurd. */
function occurredAt(value: unknown, now: Date): Date {
  if (
    typeof value === 'number' &&
    Number.isFinite(value) &&
    value > 946_684_800 &&
    value < 4_102_444_800
  ) {
    return new Date(Math.round(value * 1000));
  }
  return now;
}

/**
 * Maps one element of SendGrid's event batch
 * (https://www.twilio.com/docs/sendgrid/for-developers/tracking-events/event). `bounce` with
 * `type: blocked` is a soft bounce (the receiving server refused it for now); dropped addresses that
 * bounced or are invalid are suppressed, as are complaints and global unsubscribes.
 */
export function mapSendGridEvent(raw: unknown, now = new Date()): MappedEvent | null {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    return null;
  }
  const e = raw as Record<string, unknown>;
  const at = occurredAt(e.timestamp, now);
  const iso = at.toISOString();
  const mailgateId = str(e[MAILGATE_ID_ARG], 36);
  const sgMessageId = str(e.sg_message_id, 500);
  const reason = str(e.reason, 1000) ?? str(e.response, 1000) ?? undefined;
  const code = typeof e.status === 'string' ? e.status.slice(0, 20) : undefined;
  const base = {
    messageId: mailgateId !== null && UUID_RE.test(mailgateId) ? mailgateId.toLowerCase() : null,
    providerMessageId: sgMessageId === null ? null : sgMessageId.split('.')[0],
    providerEventId: str(e.sg_event_id, 200),
    recipient: str(e.email),
    occurredAt: at,
    data: e,
  };
  const event = typeof e.event === 'string' ? e.event : '';
  switch (event) {
    case 'processed':
      return { ...base, type: 'processed', state: null, suppress: null };
    case 'deferred':
      // SendGrid retries by itself: the recipient's state does not move.
      return { ...base, type: 'deferred', state: null, suppress: null };
    case 'delivered':
      return { ...base, type: 'delivered', state: { state: 'delivered', at: iso }, suppress: null };
    case 'bounce': {
      const soft = e.type === 'blocked';
      return {
        ...base,
        type: 'bounced',
        state: {
          state: 'bounced',
          at: iso,
          bounceType: soft ? 'soft' : 'hard',
          ...(reason === undefined ? {} : { reason }),
          ...(code === undefined ? {} : { code }),
        },
        suppress: soft ? null : 'hard_bounce',
      };
    }
    case 'dropped':
      return {
        ...base,
        type: 'dropped',
        state: { state: 'dropped', at: iso, ...(reason === undefined ? {} : { reason }) },
        suppress: /bounced address|invalid/i.test(reason ?? '') ? 'dropped' : null,
      };
    case 'spamreport':
      return {
        ...base,
        type: 'complained',
        state: { state: 'complained', at: iso },
        suppress: 'complaint',
      };
    case 'open':
      return { ...base, type: 'opened', state: null, suppress: null };
    case 'click':
      return { ...base, type: 'clicked', state: null, suppress: null };
    case 'unsubscribe':
      return { ...base, type: 'unsubscribed', state: null, suppress: 'unsubscribe' };
    case 'group_unsubscribe':
      // Only one unsubscribe group: the address still gets the tenant's other mail.
      return { ...base, type: 'unsubscribed', state: null, suppress: null };
    default:
      return { ...base, type: 'other', state: null, suppress: null };
  }
}
