import { ApiCode, httpStatusOf } from './api-code.enum';

/**
 * The one error type domain code throws. The exception filter turns it into the envelope;
 * domain code never imports HttpException. `message` must be safe to show (no secrets).
 */
export class AppException extends Error {
  readonly status: number;

  constructor(
    readonly apiCode: ApiCode,
    message: string,
    readonly data: unknown = null,
    /** Extra response headers, e.g. Retry-After on 429. */
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'AppException';
    this.status = httpStatusOf(apiCode);
  }
}

export interface FieldError {
  /** Dotted path of the failing field, e.g. `smtpConfig.smtp_port` or `messages.3.to`. */
  field: string;
  messages: string[];
}

export class ValidationException extends AppException {
  constructor(readonly errors: FieldError[]) {
    super(
      ApiCode.ValidationFailed,
      `Validation failed: ${errors.map((e) => `${e.field} (${e.messages.join('; ')})`).join(', ')}`,
      { errors },
    );
  }
}
