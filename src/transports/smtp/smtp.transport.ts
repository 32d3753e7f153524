import { Transform } from 'node:stream';
import { inspect } from 'node:util';
import {
  createTransport,
  type SendMailOptions,
  type SMTPPoolSentMessageInfo,
  type Transporter,
} from 'nodemailer';
import MailComposer from 'nodemailer/lib/mail-composer';
import SMTPConnection from 'nodemailer/lib/smtp-connection';
import type { SMTPPoolOptions } from 'nodemailer/lib/smtp-pool';
import { needsSmtpUtf8 } from '../../common/addresses';
import { classifyIp, egressGetSocket, type EgressPolicy } from '../../common/egress';
import type { SmtpPlaintextAuth } from '../../config/env';
import { DeliveryError } from '../delivery-error';
import { mapSmtpError } from '../delivery-error.mapper';
import {
  fromOf,
  type EmailAddress,
  type MailTransport,
  type OutboundEmail,
  type SendResult,
} from '../mail-transport.interface';
import { recipientsOf, toMailOptions } from '../outbound-message';
import {
  DEFAULT_CLOSE_GRACE_MS,
  DEFAULT_CONNECTION_TIMEOUT_MS,
  DEFAULT_GREETING_TIMEOUT_MS,
  DEFAULT_SMTP_MAX_CONNECTIONS,
  DEFAULT_SMTP_MAX_MESSAGES,
  DEFAULT_SOCKET_TIMEOUT_MS,
} from '../transports.constants';

/** Connection knobs the factory may override for every SMTP adapter (tests: loopback CA, short timeouts). */
export interface SmtpTuning {
  /**
   * Trusted CA certificates (PEM) for this adapter only; they replace Node's default list. Meant
   * for tests: production adds private CAs with NODE_EXTRA_CA_CERTS. Verification stays on.
   */
  tls?: { ca?: string | Buffer | Array<string | Buffer> };
  connectionTimeoutMs?: number;
  greetingTimeoutMs?: number;
  socketTimeoutMs?: number;
  maxConnections?: number;
  maxMessages?: number;
  /** How long close() lets sends already started finish before cutting them off. */
  closeGraceMs?: number;
}

export interface SmtpTransportOptions extends SmtpTuning {
  /** `MailTransport.name`, e.g. `provider:custom` or `builtin`. */
  name: string;
  host: string;
  port: number;
  /** Implicit TLS from the first byte (465); otherwise STARTTLS whenever the server offers it. */
  secure: boolean;
  /** AUTH credentials; omitted for an open relay. */
  auth?: { user: string; pass: string };
  /** From of messages that do not name one; none when the login is not an address (then each message must carry one). */
  defaultFrom?: EmailAddress;
  /** When set, a From with another address is refused before connecting (servers that only send as the login). */
  requiredFrom?: string;
  /**
   * The egress policy for a tenant-chosen host: the address connected to is checked after DNS.
   * Unset for the operator's own relay (built-in mailer) and for fixed presets' public hosts.
   */
  egress?: EgressPolicy;
  /** SMTP_ALLOW_PLAINTEXT_AUTH: where a login may be sent without TLS. Default `loopback`. */
  plaintextAuth?: SmtpPlaintextAuth;
}

/** A relay on this machine: the login never leaves it, as Postfix and Dovecot exempt local clients. */
function isLoopbackHost(host: string): boolean {
  return host.toLowerCase() === 'localhost' || classifyIp(host) === 'loopback';
}

/**
 * Whether STARTTLS must succeed before AUTH: a login is sent, the connection is not implicit
 * TLS, and the plaintext policy does not exempt this host. Without a login there is nothing to
 * protect and STARTTLS stays opportunistic.
 */
export function mustRequireTls(
  options: Pick<SmtpTransportOptions, 'host' | 'secure' | 'auth' | 'plaintextAuth'>,
): boolean {
  if (options.secure || options.auth === undefined) {
    return false;
  }
  switch (options.plaintextAuth ?? 'loopback') {
    case 'always':
      return false;
    case 'never':
      return true;
    case 'loopback':
      return !isLoopbackHost(options.host);
  }
}

/** The queue id of a 250 reply: Postfix `queued as X`, Exim `id=X`; kept to safe characters. */
function queueIdOf(response: string | undefined): string | undefined {
  const match = /\bqueued as ([A-Za-z0-9._@:+=-]{1,200})|\bid=([A-Za-z0-9._@:+=-]{1,200})/i.exec(
    response ?? '',
  );
  return match?.[1] ?? match?.[2];
}

/**
 * nodemailer's `rejectedErrors`: one error per refused RCPT TO with the server's reply
 * (https://nodemailer.com/smtp/#4-message-info), on the result or on an all-refused EENVELOPE.
 */
function refusalsOf(source: unknown): Array<{ recipient: string; status: number; reply: string }> {
  const errors = (source as { rejectedErrors?: unknown } | null)?.rejectedErrors;
  if (!Array.isArray(errors)) {
    return [];
  }
  return errors.flatMap((entry: unknown) => {
    const e = entry as { recipient?: unknown; responseCode?: unknown; response?: unknown };
    return typeof e.recipient === 'string' && typeof e.responseCode === 'number'
      ? [
          {
            recipient: e.recipient,
            status: e.responseCode,
            reply: typeof e.response === 'string' ? e.response : '',
          },
        ]
      : [];
  });
}

function fail(message: string): never {
  throw new DeliveryError('config', message, { code: 'SMTP_CONFIG' });
}

/**
 * A connection that died or timed out without any reply (no SMTP status): after the final "." that
 * is the classic ambiguity of RFC 1047 (https://www.rfc-editor.org/rfc/rfc1047), not a refusal.
 */
function isReplyLost(error: unknown): boolean {
  const e = error as { code?: unknown; responseCode?: unknown };
  return (
    (e.code === 'ECONNECTION' || e.code === 'ETIMEDOUT' || e.code === 'ESOCKET') &&
    typeof e.responseCode !== 'number'
  );
}

/** Up to this many bytes of a message are gathered into one write to the socket. */
const COALESCE_BYTES = 256 * 1024;

/**
 * The message as one chunk (up to COALESCE_BYTES at a time): nodemailer streams its MIME in many
 * small pieces, each its own socket write, which cost more CPU than building the message (about
 * five writes per message became one; bench/README.md). `ended` runs once the last byte is out.
 */
class CoalescedMessage extends Transform {
  private parts: Buffer[] = [];
  private size = 0;

  constructor(private readonly ended: () => void) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: () => void): void {
    this.parts.push(chunk);
    this.size += chunk.length;
    if (this.size >= COALESCE_BYTES) {
      this.release();
    }
    callback();
  }

  override _flush(callback: () => void): void {
    this.release();
    this.ended();
    callback();
  }

  private release(): void {
    if (this.size > 0) {
      this.push(this.parts.length === 1 ? this.parts[0] : Buffer.concat(this.parts, this.size));
    }
    this.parts = [];
    this.size = 0;
  }
}

/** Pooled SMTP delivery through nodemailer, TLS verified, every wait bounded. */
export class SmtpTransport implements MailTransport {
  readonly name: string;
  /** Messages this adapter sends at once: the pool size (the dispatcher never hands it more). */
  readonly maxConcurrency: number;
  private readonly mailer: Transporter<SMTPPoolSentMessageInfo, SMTPPoolOptions>;
  private readonly defaultFrom?: EmailAddress;
  private readonly requiredFrom?: string;
  private readonly closeGraceMs: number;
  private readonly inFlight = new Set<Promise<unknown>>();
  /** Message-ID header → whether the whole message has been streamed into DATA. */
  private readonly dataWritten = new Map<string, boolean>();
  private closed = false;
  private readonly connection: SMTPPoolOptions;
  /** Whether the server offers SMTPUTF8, asked once per adapter (a config version). */
  private smtpUtf8?: Promise<boolean>;
  /** What `prepare` made of a message: its nodemailer options and MIME (gone with it if never sent). */
  private readonly prepared = new WeakMap<
    OutboundEmail,
    { options: SendMailOptions; mime: Promise<Buffer> }
  >();

  constructor(options: SmtpTransportOptions) {
    if (!options.host || /[\s/]/.test(options.host)) {
      fail('SMTP host is missing or malformed');
    }
    if (!Number.isInteger(options.port) || options.port < 1 || options.port > 65535) {
      fail('SMTP port must be an integer from 1 to 65535');
    }
    this.name = options.name;
    this.defaultFrom = options.defaultFrom?.email.includes('@') ? options.defaultFrom : undefined;
    this.requiredFrom = options.requiredFrom?.toLowerCase();
    this.closeGraceMs = options.closeGraceMs ?? DEFAULT_CLOSE_GRACE_MS;
    this.maxConcurrency = options.maxConnections ?? DEFAULT_SMTP_MAX_CONNECTIONS;
    const connection: SMTPPoolOptions = {
      pool: true,
      host: options.host,
      port: options.port,
      secure: options.secure,
      auth: options.auth ? { user: options.auth.user, pass: options.auth.pass } : undefined,
      // Never AUTH in clear: with a login on a plain connection, STARTTLS must succeed first.
      requireTLS: mustRequireTls(options),
      // Certificate verification is never turned off; `ca` only narrows whom we trust.
      tls: { rejectUnauthorized: true, ...(options.tls?.ca ? { ca: options.tls.ca } : {}) },
      connectionTimeout: options.connectionTimeoutMs ?? DEFAULT_CONNECTION_TIMEOUT_MS,
      greetingTimeout: options.greetingTimeoutMs ?? DEFAULT_GREETING_TIMEOUT_MS,
      socketTimeout: options.socketTimeoutMs ?? DEFAULT_SOCKET_TIMEOUT_MS,
      dnsTimeout: options.connectionTimeoutMs ?? DEFAULT_CONNECTION_TIMEOUT_MS,
      maxConnections: this.maxConcurrency,
      maxMessages: options.maxMessages ?? DEFAULT_SMTP_MAX_MESSAGES,
      // Close idle pooled connections with QUIT before the socket timeout kills them.
      idleTimeout: Math.floor((options.socketTimeoutMs ?? DEFAULT_SOCKET_TIMEOUT_MS) / 2),
      // Never log the session: AUTH lines carry the credentials.
      logger: false,
      debug: false,
      disableFileAccess: true,
      disableUrlAccess: true,
      // Connect through the egress policy: the same resolved address is checked and connected to.
      ...(options.egress
        ? {
            getSocket: egressGetSocket(
              options.egress,
              options.connectionTimeoutMs ?? DEFAULT_CONNECTION_TIMEOUT_MS,
            ),
          }
        : {}),
    };
    this.connection = connection;
    this.mailer = createTransport({ ...connection, pool: true });
    // Marks the moment the last byte of a message went into the DATA stream, after which only the
    // terminating "." and the server's reply remain: a connection lost from then on may have
    // delivered the message (RFC 1047), which the error says instead of a plain connection error.
    this.mailer.use('stream', (mail, done) => {
      const key = mail.data.messageId;
      mail.message.transform(
        () =>
          new CoalescedMessage(() => {
            if (typeof key === 'string' && this.dataWritten.has(key)) {
              this.dataWritten.set(key, true);
            }
          }),
      );
      done();
    });
  }

  async send(message: OutboundEmail): Promise<SendResult> {
    if (this.closed) {
      throw new DeliveryError(
        'transient',
        'Transport was closed (configuration change or shutdown)',
        {
          code: 'TRANSPORT_CLOSED',
        },
      );
    }
    const from = fromOf(message, this.defaultFrom);
    if (from === undefined) {
      throw new DeliveryError(
        'config',
        'No From address: the message has none and no sender is configured',
        {
          code: 'NO_FROM',
        },
      );
    }
    if (this.requiredFrom !== undefined && from.email.toLowerCase() !== this.requiredFrom) {
      throw new DeliveryError(
        'rejected',
        'This provider only sends with the login address as From',
        { code: 'FROM_MISMATCH' },
      );
    }
    // RFC 6531: a UTF-8 local part may only be sent to a server that offers SMTPUTF8; nodemailer
    // would send it regardless, so without it the attempt fails before any MAIL FROM.
    const envelope = [from.email, ...(message.envelopeTo ?? recipientsOf(message))];
    if (envelope.some(needsSmtpUtf8) && !(await this.offersSmtpUtf8())) {
      throw new DeliveryError(
        'rejected',
        'The server does not offer SMTPUTF8 (RFC 6531), which an address with a UTF-8 local part needs: nothing was sent',
        { code: 'SMTPUTF8_UNSUPPORTED' },
      );
    }
    const prepared = this.prepared.get(message);
    this.prepared.delete(message);
    const options = prepared?.options ?? toMailOptions(message, from);
    const key = options.messageId;
    if (key !== undefined) {
      this.dataWritten.set(key, false);
    }
    const sending = this.deliver(options, prepared?.mime);
    this.inFlight.add(sending);
    let info: SMTPPoolSentMessageInfo;
    try {
      info = await sending;
    } catch (error) {
      if (key !== undefined && this.dataWritten.get(key) === true && isReplyLost(error)) {
        throw new DeliveryError(
          'transient',
          'The connection was lost after the message was sent, before the server answered: it may have been delivered (RFC 1047); retried with the same Message-ID',
          { code: 'REPLY_LOST', cause: error },
        );
      }
      const refused = refusalsOf(error);
      // Every RCPT TO refused, some for good: nothing was sent, but each recipient has its own
      // answer (5xx bounce, 4xx retry). Only 4xx replies: a throttled or busy server, retried whole.
      if (
        (error as { command?: unknown }).command === 'RCPT TO' &&
        refused.some((r) => r.status >= 500)
      ) {
        return {
          providerMessageId: null,
          accepted: [],
          rejected: refused.map((r) => r.recipient),
          refused,
        };
      }
      throw mapSmtpError(error);
    } finally {
      this.inFlight.delete(sending);
      if (key !== undefined) {
        this.dataWritten.delete(key);
      }
    }
    return {
      providerMessageId: info.serverMessageId ?? queueIdOf(info.response) ?? info.messageId,
      accepted: info.accepted.map(String),
      rejected: info.rejected.map(String),
      refused: refusalsOf(info),
    };
  }

  prepare(message: OutboundEmail): void {
    const from = fromOf(message, this.defaultFrom);
    if (this.closed || from === undefined || this.prepared.has(message)) {
      return;
    }
    const options = toMailOptions(message, from);
    const mime = new Promise<Buffer>((resolve, reject) => {
      new MailComposer(options)
        .compile()
        .build((error, built) => (error ? reject(error) : resolve(built)));
    });
    mime.catch(() => undefined); // send() reports it
    this.prepared.set(message, { options, mime });
  }

  /**
   * Hands the message to the pool: the MIME `prepare` built when there is one (nodemailer's `raw`,
   * with the same From, recipients, envelope and Message-ID, from which it derives the SMTP
   * envelope as for a composed message), else composed now.
   */
  private async deliver(
    options: SendMailOptions,
    mime: Promise<Buffer> | undefined,
  ): Promise<SMTPPoolSentMessageInfo> {
    if (mime === undefined) {
      return this.mailer.sendMail(options);
    }
    const { messageId, from, to, cc, bcc, envelope, disableFileAccess, disableUrlAccess } = options;
    return this.mailer.sendMail({
      raw: await mime,
      messageId,
      from,
      to,
      cc,
      bcc,
      envelope,
      disableFileAccess,
      disableUrlAccess,
    });
  }

  private offersSmtpUtf8(): Promise<boolean> {
    this.smtpUtf8 ??= this.serverExtensions().then(
      (extensions) => extensions.includes('SMTPUTF8'),
      (error: unknown) => {
        this.smtpUtf8 = undefined;
        throw mapSmtpError(error);
      },
    );
    return this.smtpUtf8;
  }

  /**
   * The EHLO extensions (after STARTTLS when there is one) on a connection of its own, through the
   * same socket path as the pool (egress policy included); nodemailer's pool does not expose them.
   */
  private async serverExtensions(): Promise<string[]> {
    const { getSocket } = this.connection;
    const socket = await new Promise<{ connection?: unknown }>((resolve, reject) => {
      if (getSocket === undefined) {
        resolve({});
        return;
      }
      getSocket(this.connection, (error, info) =>
        error ? reject(error) : resolve((info ?? {}) as { connection?: unknown }),
      );
    });
    const { pool: _pool, auth: _auth, getSocket: _getSocket, ...options } = this.connection;
    const probe = new SMTPConnection({
      ...options,
      ...(socket.connection === undefined ? {} : { connection: socket.connection }),
    } as SMTPConnection.Options);
    try {
      await new Promise<void>((resolve, reject) => {
        probe.once('error', reject);
        probe.connect(() => resolve());
      });
      // Not in nodemailer's typings: the list it read from EHLO (and uses for SMTPUTF8 itself).
      return [
        ...((probe as unknown as { _supportedExtensions?: string[] })._supportedExtensions ?? []),
      ];
    } finally {
      probe.quit();
    }
  }

  async verify(): Promise<void> {
    try {
      await this.mailer.verify();
    } catch (error) {
      throw mapSmtpError(error);
    }
  }

  /** Logging an adapter must never print the credentials nodemailer keeps in its options. */
  toJSON(): { name: string } {
    return { name: this.name };
  }

  [inspect.custom](): string {
    return `SmtpTransport(${this.name})`;
  }

  /**
   * Refuses new sends at once, lets the ones already started (queued in the pool included)
   * finish for up to `graceMs` (default `closeGraceMs`), then closes the pool, cutting off whatever
   * is left.
   */
  async close(graceMs = this.closeGraceMs): Promise<void> {
    if (this.closed) {
      return;
    }
    this.closed = true;
    if (this.inFlight.size > 0) {
      let timer: NodeJS.Timeout | undefined;
      const grace = new Promise<'timeout'>((resolve) => {
        timer = setTimeout(() => resolve('timeout'), graceMs);
      });
      const outcome = await Promise.race([Promise.allSettled([...this.inFlight]), grace]);
      clearTimeout(timer);
      if (outcome === 'timeout') {
        this.mailer.close({ force: true });
        return;
      }
    }
    this.mailer.close();
  }
}
