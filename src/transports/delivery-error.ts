/** The only thing the dispatcher looks at to decide retry, fail or fallback. */
export const DELIVERY_ERROR_CLASSES = [
  'transient',
  'rate_limited',
  'auth',
  'rejected',
  'config',
] as const;
export type DeliveryErrorClass = (typeof DELIVERY_ERROR_CLASSES)[number];

export interface DeliveryErrorOptions {
  /** SMTP reply code (e.g. 535) or HTTP status (e.g. 429). */
  status?: number;
  /** Stable short code, e.g. `EAUTH`, `ECONNECTION`, `HTTP_429`. */
  code?: string;
  /** Milliseconds to wait before retrying, when the provider said so (Retry-After). */
  retryAfterMs?: number;
  /** The receiving server refused the message after DATA (SMTP 5xx): every recipient bounced. */
  bounce?: boolean;
  cause?: unknown;
}

/**
 * A failed delivery, classified once at the transport edge. `message` is safe to show and to
 * store: it never carries a secret or a raw credential echo.
 */
export class DeliveryError extends Error {
  readonly status?: number;
  readonly code: string;
  readonly retryAfterMs?: number;
  readonly bounce: boolean;

  constructor(
    readonly errorClass: DeliveryErrorClass,
    message: string,
    options: DeliveryErrorOptions = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'DeliveryError';
    this.status = options.status;
    this.code = options.code ?? errorClass.toUpperCase();
    this.retryAfterMs = options.retryAfterMs;
    this.bounce = options.bounce ?? false;
  }

  toJSON(): { class: DeliveryErrorClass; code: string; status?: number; message: string } {
    return { class: this.errorClass, code: this.code, status: this.status, message: this.message };
  }
}
