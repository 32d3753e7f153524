import { createSign, generateKeyPairSync, type KeyObject } from 'node:crypto';

/**
 * Signs Event Webhook batches as SendGrid does: ECDSA P-256 with SHA-256 over the timestamp
 * followed by the raw body, DER signature in base64; the verification key is the base64 DER (SPKI)
 * public key SendGrid shows. Checked against SendGrid's published test vector (event-signer.spec.ts).
 */
export class SendGridEventSigner {
  readonly verificationKey: string;
  private readonly privateKey: KeyObject;

  constructor() {
    const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    this.privateKey = privateKey;
    this.verificationKey = publicKey.export({ format: 'der', type: 'spki' }).toString('base64');
  }

  sign(body: string | Buffer, timestamp: string): string {
    return createSign('sha256')
      .update(timestamp)
      .update(body)
      .sign(this.privateKey)
      .toString('base64');
  }

  /** The request headers for `body`, signed at `at` (default now). */
  headers(body: string, at = new Date()): Record<string, string> {
    const timestamp = String(Math.floor(at.getTime() / 1000));
    return {
      'content-type': 'application/json',
      'x-twilio-email-event-webhook-timestamp': timestamp,
      'x-twilio-email-event-webhook-signature': this.sign(body, timestamp),
    };
  }
}
