export interface WebhookEndpointDto {
  id: string;
  url: string;
  description: string | null;
  /** null: every event type. */
  events: string[] | null;
  disabled: boolean;
  disabledAt: string | null;
  /** Why: "disabled through the API", or the failure run that made mailgate disable it. */
  disabledReason: string | null;
  /** Start of the current run of failed attempts (null when the last attempt succeeded). */
  failingSince: string | null;
  /** Until when the secret before the last rotation still signs (null: none). */
  previousSecretExpiresAt: string | null;
  createdAt: string;
  updatedAt: string;
}

/** The only answers that carry the signing secret: creation and rotation. */
export interface WebhookEndpointWithSecretDto extends WebhookEndpointDto {
  secret: string;
}

export interface WebhookDeliveryDto {
  id: string;
  endpointId: string;
  type: string;
  emailId: string | null;
  status: string;
  attempts: number;
  nextAttemptAt: string | null;
  lastAttemptAt: string | null;
  lastStatusCode: number | null;
  lastLatencyMs: number | null;
  lastError: string | null;
  createdAt: string;
  deliveredAt: string | null;
}
