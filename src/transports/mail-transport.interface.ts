export interface EmailAddress {
  /** Display name; may be any UTF-8 text, encoded per RFC 2047 by the transport. */
  name?: string;
  email: string;
}

export interface OutboundAttachment {
  filename: string;
  contentType?: string;
  content: Buffer;
  /** Content-ID for inline images referenced from the HTML as `cid:<cid>`. */
  cid?: string;
}

/** One message as the dispatcher hands it to a transport. */
export interface OutboundEmail {
  /**
   * The outbox id. Every attempt of one message renders the same `Message-ID` header from it,
   * `<messageId@domain-of-from>`, so receivers can deduplicate at-least-once retries.
   */
  messageId: string;
  /** Defaults to the transport's configured sender. */
  from?: EmailAddress;
  /** Display name for that default sender (a template's `sender`); ignored when `from` is given. */
  fromName?: string;
  to: EmailAddress[];
  cc?: EmailAddress[];
  bcc?: EmailAddress[];
  replyTo?: EmailAddress;
  subject: string;
  text?: string;
  html?: string;
  attachments?: OutboundAttachment[];
  /** Extra headers, already validated against the allow-list (no CR/LF). */
  headers?: Record<string, string>;
  /**
   * The recipients this attempt goes to, when not all of them (some are suppressed or already
   * sent on an earlier attempt). SMTP keeps the headers and narrows the envelope; SendGrid, whose
   * personalizations are both, leaves the others out.
   */
  envelopeTo?: string[];
}

export interface SendResult {
  /** The provider's id for the message (SMTP: the queue id from the 250 reply when present; SendGrid: x-message-id). */
  providerMessageId: string | null;
  accepted: string[];
  rejected: string[];
  /** SMTP: the reply to each refused RCPT TO (4xx or 5xx) when others were accepted or all were refused. */
  refused?: Array<{ recipient: string; status: number; reply: string }>;
  /** The rendered MIME, only from the capture transport (`capture://`), which sends nothing. */
  capturedMime?: string;
}

export interface MailTransport {
  /** Stable label for records and metrics: `provider:<type>` or `builtin`. */
  readonly name: string;
  /**
   * How many sends this adapter starts at once (SMTP: the pool's connections; SendGrid: HTTP
   * requests in flight). The dispatcher never hands it more, so nothing waits inside the
   * adapter's own queue where it could not be withdrawn. The one place pool sizes are set.
   */
  readonly maxConcurrency: number;
  /**
   * Optional: starts the work a send needs no connection for (SMTP: building the MIME) while the
   * message still waits for its send slot, so a connection that frees is not kept idle by it.
   * `send` with the same object uses it; a message never sent just drops it. Never throws.
   */
  prepare?(message: OutboundEmail): void;
  send(message: OutboundEmail): Promise<SendResult>;
  /** Connect and authenticate without sending mail. */
  verify(): Promise<void>;
  /**
   * Refuses new sends, lets those already started finish for up to `graceMs` (default: the
   * adapter's own grace), then cuts them off.
   */
  close(graceMs?: number): Promise<void>;
}

/** The From of `message`: its own, else the transport's sender under the message's display name. */
export function fromOf(
  message: Pick<OutboundEmail, 'from' | 'fromName'>,
  defaultFrom: EmailAddress | undefined,
): EmailAddress | undefined {
  if (message.from !== undefined) {
    return message.from;
  }
  if (defaultFrom === undefined || message.fromName === undefined || message.fromName === '') {
    return defaultFrom;
  }
  return { ...defaultFrom, name: message.fromName };
}
