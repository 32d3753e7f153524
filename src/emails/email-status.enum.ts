/**
 * A message's status. queued/sending while the dispatcher owns it; after that it derives from
 * the recipients' states (README "Message status", SQL mailgate_message_status).
 */
export const EMAIL_STATUSES = [
  'queued',
  'sending',
  'sent',
  'delivered',
  'bounced',
  'complained',
  'failed',
  'suppressed',
] as const;
export type EmailStatus = (typeof EMAIL_STATUSES)[number];

/** The dispatcher is done with it (provider events may still move a sent message on). */
export function isFinalStatus(status: EmailStatus): boolean {
  return status !== 'queued' && status !== 'sending';
}
