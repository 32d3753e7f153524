import { ApiCode } from '../common/api-code.enum';
import { AppException } from '../common/app.exception';
import { SECRET_MASK } from './provider-config.constants';
import type { ProviderBlocks } from './provider-config.types';
import { mergeMaskedSecrets, UNREADABLE_SECRET } from './secret-merge';

const stored: ProviderBlocks = {
  smtpConfig: {
    smtp_host: 'smtp.example.test',
    smtp_port: 465,
    sender: 'mailer@example.test',
    senderPass: 'stored-smtp-pass',
    secure: true,
  },
  sendGridConfig: { sender: 'noreply@example.test', apikey: 'SG.stored' },
  aliExmailConfig: { sender: 'ali@example.test', senderPass: 'stored-ali-pass' },
  tencentExmailConfig: { sender: 'qq@example.test', senderPass: 'stored-qq-pass' },
};

function refusal(fn: () => unknown): { fields: string[]; message: string } {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(AppException);
    const e = error as AppException;
    expect(e.apiCode).toBe(ApiCode.SecretRequired);
    expect(e.status).toBe(400);
    const errors = (e.data as { errors: Array<{ field: string }> }).errors;
    return { fields: errors.map((x) => x.field), message: e.message };
  }
  throw new Error('expected SecretRequired');
}

describe('mergeMaskedSecrets (mask round trip rules)', () => {
  it('keeps every stored secret when the masked blocks come back unchanged', () => {
    const masked: ProviderBlocks = {
      smtpConfig: { ...stored.smtpConfig!, senderPass: SECRET_MASK },
      sendGridConfig: { ...stored.sendGridConfig!, apikey: SECRET_MASK },
      aliExmailConfig: { ...stored.aliExmailConfig!, senderPass: SECRET_MASK },
      tencentExmailConfig: { ...stored.tencentExmailConfig!, senderPass: SECRET_MASK },
    };
    expect(mergeMaskedSecrets(masked, stored)).toEqual(stored);
  });

  it('uses a new secret as given, mask or no stored config', () => {
    const input: ProviderBlocks = {
      smtpConfig: { ...stored.smtpConfig!, smtp_host: 'other.test', senderPass: 'new' },
    };
    expect(mergeMaskedSecrets(input, stored)).toEqual(input);
    expect(mergeMaskedSecrets(input, undefined)).toEqual(input);
  });

  it('keeps settings other than the secret as sent', () => {
    const input: ProviderBlocks = {
      smtpConfig: { ...stored.smtpConfig!, secure: true, senderPass: SECRET_MASK },
    };
    expect(mergeMaskedSecrets(input, stored).smtpConfig).toEqual(stored.smtpConfig);
  });

  it.each([
    ['smtp_host', { smtp_host: 'evil.example.test' }],
    ['smtp_port', { smtp_port: 2525 }],
    ['sender', { sender: 'other@example.test' }],
    ['secure', { secure: false }],
  ])('requires the SMTP secret again when %s changed', (field, change) => {
    const input: ProviderBlocks = {
      smtpConfig: { ...stored.smtpConfig!, ...change, senderPass: SECRET_MASK },
    };
    const { fields, message } = refusal(() => mergeMaskedSecrets(input, stored));
    expect(fields).toEqual(['smtpConfig.senderPass']);
    expect(message).toContain(`smtpConfig.${field} changed`);
  });

  it('allows turning implicit TLS on with the mask', () => {
    const plain = { smtpConfig: { ...stored.smtpConfig!, secure: false } };
    const input: ProviderBlocks = {
      smtpConfig: { ...stored.smtpConfig!, secure: true, senderPass: SECRET_MASK },
    };
    expect(mergeMaskedSecrets(input, plain).smtpConfig?.senderPass).toBe('stored-smtp-pass');
  });

  it.each([['aliExmailConfig' as const], ['tencentExmailConfig' as const]])(
    'requires the %s password again when the login changed',
    (key) => {
      const input: ProviderBlocks = {
        [key]: { sender: 'new@example.test', senderPass: SECRET_MASK },
      };
      expect(refusal(() => mergeMaskedSecrets(input, stored)).fields).toEqual([
        `${key}.senderPass`,
      ]);
    },
  );

  it('keeps the SendGrid key when only the From address changed (the key only goes to SENDGRID_API_URL)', () => {
    const input: ProviderBlocks = {
      sendGridConfig: { sender: 'other@example.test', apikey: SECRET_MASK },
    };
    expect(mergeMaskedSecrets(input, stored).sendGridConfig).toEqual({
      sender: 'other@example.test',
      apikey: 'SG.stored',
    });
  });

  it('refuses the mask when nothing is stored, so the mask is never stored as a password', () => {
    const input: ProviderBlocks = {
      sendGridConfig: { sender: 'noreply@example.test', apikey: SECRET_MASK },
    };
    const { fields, message } = refusal(() => mergeMaskedSecrets(input, undefined));
    expect(fields).toEqual(['sendGridConfig.apikey']);
    expect(message).toMatch(/no sendGridConfig\.apikey is stored/);
    expect(
      refusal(() => mergeMaskedSecrets(input, { smtpConfig: stored.smtpConfig })).fields,
    ).toEqual(['sendGridConfig.apikey']);
  });

  it('refuses the mask for a stored secret that cannot be decrypted', () => {
    const unreadable: ProviderBlocks = {
      aliExmailConfig: { ...stored.aliExmailConfig!, senderPass: UNREADABLE_SECRET },
    };
    const input: ProviderBlocks = {
      aliExmailConfig: { ...stored.aliExmailConfig!, senderPass: SECRET_MASK },
    };
    expect(refusal(() => mergeMaskedSecrets(input, unreadable)).message).toMatch(
      /cannot be decrypted/,
    );
  });

  it('names every refused secret at once and never quotes a secret', () => {
    const input: ProviderBlocks = {
      smtpConfig: { ...stored.smtpConfig!, smtp_host: 'evil.test', senderPass: SECRET_MASK },
      aliExmailConfig: { sender: 'x@example.test', senderPass: SECRET_MASK },
    };
    const { fields, message } = refusal(() => mergeMaskedSecrets(input, stored));
    expect(fields).toEqual(['smtpConfig.senderPass', 'aliExmailConfig.senderPass']);
    expect(message).not.toMatch(/stored-|SG\.stored/);
  });
});
