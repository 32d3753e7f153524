import { createPublicKey } from 'node:crypto';
import { registerDecorator, type ValidationOptions } from 'class-validator';

/**
 * SendGrid's Signed Event Webhook verification key: base64 of a DER (SPKI) ECDSA P-256 public key,
 * as its settings page shows it (https://www.twilio.com/docs/sendgrid/for-developers/tracking-events/getting-started-event-webhook-security-features).
 */
export function isSendGridVerificationKey(value: unknown): boolean {
  if (typeof value !== 'string' || !/^[A-Za-z0-9+/]{40,400}={0,2}$/.test(value)) {
    return false;
  }
  try {
    const key = createPublicKey({ key: Buffer.from(value, 'base64'), format: 'der', type: 'spki' });
    return key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1';
  } catch {
    return false;
  }
}

export function IsSendGridVerificationKey(options?: ValidationOptions): PropertyDecorator {
  return (target: object, propertyName: string | symbol) => {
    registerDecorator({
      name: 'isSendGridVerificationKey',
      target: target.constructor,
      propertyName: String(propertyName),
      options: {
        message:
          '$property must be the base64 verification key SendGrid shows (an ECDSA P-256 public key)',
        ...options,
      },
      validator: { validate: (value: unknown) => isSendGridVerificationKey(value) },
    });
  };
}
