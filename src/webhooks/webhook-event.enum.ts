/** Events a webhook endpoint can subscribe to; the trigger in migrations/ emits them by status. */
export const WEBHOOK_EVENT_TYPES = [
  'email.sent',
  'email.deferred',
  'email.failed',
  'email.delivered',
  'email.bounced',
  'email.complained',
  'email.suppressed',
] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

/** Sent by POST /v1/webhook-endpoints/:id/test to that endpoint, whatever it subscribed to. */
export const WEBHOOK_TEST_EVENT = 'webhook.test';

export const DELIVERY_STATUSES = ['pending', 'delivering', 'delivered', 'failed'] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];
