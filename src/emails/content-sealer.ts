import { createHmac, timingSafeEqual } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { messageContentAssociatedData, SecretCipher } from '../common/secret-cipher';
import { DeliveryError } from '../transports/delivery-error';
import type { EmailPayload, ValidatedEmail } from './email-request.validator';

/** Fields of a sensitive message kept readable: who it goes to, so it can be sent and traced. */
type Envelope = Pick<EmailPayload, 'from' | 'to' | 'cc' | 'bcc' | 'replyTo'>;
/** Sealed into one ciphertext: everything a reader could take a code or link from. */
type Content = Omit<EmailPayload, keyof Envelope>;

/**
 * `email_messages.payload` of a sensitive message: the envelope in clear and the content sealed
 * (`sealed`, SecretCipher output) while it waits; the envelope alone once final.
 */
type SealedPayload = Envelope & { subject?: undefined; sealed?: string };
/** What `email_messages.payload` holds: a plain message (maybe purged of content) or a sealed one. */
export type StoredPayload = EmailPayload | SealedPayload;
/** A validated message as the outbox stores it. */
export type StoredEmail = Omit<ValidatedEmail, 'payload'> & { payload: StoredPayload };

export function isSealed(payload: StoredPayload): payload is SealedPayload {
  return typeof payload.subject !== 'string';
}

const HASH_PREFIX = 'hmac:';

/** An HMAC under a key derived from the secret key: never the encryption key itself. */
function hashKey(secretKey: Buffer): ReturnType<typeof createHmac> {
  return createHmac(
    'sha256',
    createHmac('sha256', secretKey).update('mailgate:request-hash').digest(),
  );
}

/**
 * Sensitive messages (verification codes, reset and invitation links): their content is
 * encrypted with MAILGATE_SECRET_KEY before it reaches the database, opened only to send, and
 * removed by the database itself when the message is final (migration 1764633600000).
 */
@Injectable()
export class ContentSealer {
  constructor(private readonly cipher: SecretCipher) {}

  /** The message as stored: unchanged unless sensitive. */
  seal(tenantId: string, email: ValidatedEmail): StoredEmail {
    if (!email.sensitive) {
      return email;
    }
    const { from, to, cc, bcc, replyTo, ...content } = email.payload;
    const envelope: SealedPayload = {
      ...(from === undefined ? {} : { from }),
      to,
      ...(cc === undefined ? {} : { cc }),
      ...(bcc === undefined ? {} : { bcc }),
      ...(replyTo === undefined ? {} : { replyTo }),
      sealed: this.cipher.encrypt(JSON.stringify(content), messageContentAssociatedData(tenantId)),
    };
    return { ...email, payload: envelope };
  }

  /** The full message to send; a sealed one it cannot open fails for good (class `config`). */
  open(tenantId: string, payload: StoredPayload): EmailPayload {
    if (!isSealed(payload)) {
      return payload;
    }
    const { sealed, ...envelope } = payload;
    if (sealed === undefined) {
      throw new DeliveryError('config', 'The sensitive message content was already removed', {
        code: 'CONTENT_PURGED',
      });
    }
    let content: Content;
    try {
      content = JSON.parse(
        this.cipher.decrypt(sealed, messageContentAssociatedData(tenantId)),
      ) as Content;
    } catch (error) {
      throw new DeliveryError('config', 'The sealed message content cannot be decrypted', {
        code: 'SEALED_CONTENT_UNREADABLE',
        cause: error,
      });
    }
    return { ...envelope, ...content };
  }

  /**
   * The Idempotency-Key request hash. A plain SHA-256 of a sensitive body would let anyone with
   * the database guess a 6-digit code in a million hashes: those are keyed with the current key.
   */
  requestHash(json: string, sensitive: boolean, plain: (json: string) => string): string {
    if (!sensitive) {
      return plain(json);
    }
    const key = this.cipher.currentKey();
    return `${HASH_PREFIX}${key.id}:${hashKey(key.key).update(json).digest('hex')}`;
  }

  /** Whether a stored request hash is the hash of `json` (any key MAILGATE_SECRET_KEY holds). */
  sameRequest(stored: string | null, json: string, plain: (json: string) => string): boolean {
    if (stored === null) {
      return false;
    }
    if (!stored.startsWith(HASH_PREFIX)) {
      return stored === plain(json);
    }
    const [keyId, digest] = stored.slice(HASH_PREFIX.length).split(':', 2);
    const key = this.cipher.keyById(keyId);
    if (key === undefined || digest === undefined) {
      return false;
    }
    const expected = hashKey(key).update(json).digest();
    const actual = Buffer.from(digest, 'hex');
    return actual.length === expected.length && timingSafeEqual(actual, expected);
  }
}
