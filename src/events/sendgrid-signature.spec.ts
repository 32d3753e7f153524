import { createVerify } from 'node:crypto';
import { EventWebhook } from '@sendgrid/eventwebhook';
import { SendGridEventSigner } from '../../test/support/sendgrid/event-signer';

/**
 * SendGrid's published test vector, from sendgrid-nodejs
 * packages/eventwebhook/src/eventwebhook.spec.js.
 */
const PUBLIC_KEY =
  'MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEEDr2LjtURuePQzplybdC+u4CwrqDqBaWjcMMsTbhdbcwHBcepxo7yAQGhHPTnlvFYPAZFceEu/1FwCM/QmGUhA==';
const SIGNATURE =
  'MEUCIQCtIHJeH93Y+qpYeWrySphQgpNGNr/U+UyUlBkU6n7RAwIgJTz2C+8a8xonZGi6BpSzoQsbVRamr2nlxFDWYNH2j/0=';
const TIMESTAMP = '1588788367';
const PAYLOAD = JSON.stringify({
  category: 'example_payload',
  event: 'test_event',
  message_id: 'message_id',
});

function sendgridVerifies(key: string, payload: string, signature: string, timestamp: string) {
  const ew = new EventWebhook();
  return ew.verifySignature(ew.convertPublicKeyToECDSA(key), payload, signature, timestamp);
}

describe('SendGrid Event Webhook signatures: the test signer and @sendgrid/eventwebhook', () => {
  it("signs what SendGrid signs: its published vector verifies under the signer's construction", () => {
    // Same primitive, same input (timestamp + payload), same key and signature encodings.
    const verifies = createVerify('sha256')
      .update(TIMESTAMP)
      .update(PAYLOAD)
      .verify(
        { key: Buffer.from(PUBLIC_KEY, 'base64'), format: 'der', type: 'spki' },
        Buffer.from(SIGNATURE, 'base64'),
      );
    expect(verifies).toBe(true);
    expect(sendgridVerifies(PUBLIC_KEY, PAYLOAD, SIGNATURE, TIMESTAMP)).toBe(true);
  });

  it("produces signatures SendGrid's own package accepts, and only for the signed bytes", () => {
    const signer = new SendGridEventSigner();
    const body = JSON.stringify([{ event: 'delivered', email: 'a@example.test' }]);
    const signature = signer.sign(body, TIMESTAMP);
    expect(sendgridVerifies(signer.verificationKey, body, signature, TIMESTAMP)).toBe(true);
    expect(sendgridVerifies(signer.verificationKey, `${body} `, signature, TIMESTAMP)).toBe(false);
    expect(sendgridVerifies(signer.verificationKey, body, signature, '1588788368')).toBe(false);
    expect(sendgridVerifies(PUBLIC_KEY, body, signature, TIMESTAMP)).toBe(false);
  });
});
