/** Every type of `email_events` row (ARCHITECTURE "Events, suppression, webhooks"). */
export const EMAIL_EVENT_TYPES = [
  'accepted',
  'sent',
  'deferred',
  'failed',
  'processed',
  'delivered',
  'bounced',
  'complained',
  'dropped',
  'suppressed',
  'opened',
  'clicked',
  'unsubscribed',
  // A provider event of a type mailgate does not know, stored raw.
  'other',
] as const;
export type EmailEventType = (typeof EMAIL_EVENT_TYPES)[number];

/** One recipient's state on a message; it only moves forward (mailgate_recipient_rank). */
export type RecipientState =
  | 'pending'
  | 'deferred'
  | 'sent'
  | 'delivered'
  | 'failed'
  | 'dropped'
  | 'bounced'
  | 'complained'
  | 'suppressed';

export interface RecipientRecord {
  state: RecipientState;
  /** When the state was reached (ISO 8601). */
  at: string;
  /** bounced: hard (permanent) or soft (temporary). */
  bounceType?: 'hard' | 'soft';
  /** The receiving server's or provider's reason, when there is one. */
  reason?: string;
  /** SMTP reply code, or the provider's status code. */
  code?: string;
}

/** An event about to be written, in the same statement as the state change it describes. */
export interface NewEmailEvent {
  type: EmailEventType;
  /** null: about the whole message. */
  recipient: string | null;
  data: Record<string, unknown> | null;
}
