export const EMAIL_STATUSES = ['queued', 'sending', 'sent', 'failed'] as const;
export type EmailStatus = (typeof EMAIL_STATUSES)[number];

export function isFinalStatus(status: EmailStatus): boolean {
  return status === 'sent' || status === 'failed';
}
