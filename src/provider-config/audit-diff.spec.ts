import { connectionChanged, diffConfigs, type PlainProviderConfig } from './audit-diff';

const base: PlainProviderConfig = {
  type: 'custom',
  enabled: true,
  fallbackOnFailure: false,
  concurrency: {},
  rateLimit: null,
  blocks: {
    smtpConfig: {
      smtp_host: 'smtp.example.test',
      smtp_port: 465,
      sender: 'mailer@example.test',
      senderPass: 'old-password',
      secure: true,
    },
  },
};

describe('diffConfigs (audit trail)', () => {
  it('records every field of a new config, the secret only as a marker', () => {
    const changes = diffConfigs(null, base);
    expect(changes).toEqual({
      type: { old: null, new: 'custom' },
      enabled: { old: null, new: true },
      fallbackOnFailure: { old: null, new: false },
      'smtpConfig.smtp_host': { old: null, new: 'smtp.example.test' },
      'smtpConfig.smtp_port': { old: null, new: 465 },
      'smtpConfig.sender': { old: null, new: 'mailer@example.test' },
      'smtpConfig.secure': { old: null, new: true },
      'smtpConfig.senderPass': 'secret set',
    });
    expect(JSON.stringify(changes)).not.toContain('old-password');
  });

  it('records concurrency settings by field, and none when they are the defaults', () => {
    const after = structuredClone(base);
    after.concurrency = { maxConnections: 64 };
    expect(diffConfigs(base, after)).toEqual({
      'concurrency.maxConnections': { old: null, new: 64 },
    });
    expect(connectionChanged(base, after, diffConfigs(base, after))).toBe(false);
  });

  it('records the rate limit by field, and its removal', () => {
    const after = structuredClone(base);
    after.rateLimit = { perSecond: 10, perDay: null };
    expect(diffConfigs(base, after)).toEqual({
      'rateLimit.perSecond': { old: null, new: 10 },
    });
    expect(diffConfigs(after, base)).toEqual({
      'rateLimit.perSecond': { old: 10, new: null },
    });
    expect(connectionChanged(base, after, diffConfigs(base, after))).toBe(false);
  });

  it('is empty when nothing changed', () => {
    expect(diffConfigs(base, structuredClone(base))).toEqual({});
  });

  it('records old and new values of ordinary fields and a marker for a changed secret', () => {
    const after = structuredClone(base);
    after.enabled = false;
    after.blocks.smtpConfig!.smtp_port = 587;
    after.blocks.smtpConfig!.senderPass = 'new-password';
    const changes = diffConfigs(base, after);
    expect(changes).toEqual({
      enabled: { old: true, new: false },
      'smtpConfig.smtp_port': { old: 465, new: 587 },
      'smtpConfig.senderPass': 'secret changed',
    });
    expect(JSON.stringify(changes)).not.toMatch(/old-password|new-password/);
  });

  it('records a switch of type with the removed and added blocks', () => {
    const after: PlainProviderConfig = {
      ...base,
      type: 'sendgrid',
      blocks: { sendGridConfig: { sender: 'noreply@example.test', apikey: 'SG.new' } },
    };
    const changes = diffConfigs(base, after);
    expect(changes).toMatchObject({
      type: { old: 'custom', new: 'sendgrid' },
      'smtpConfig.smtp_host': { old: 'smtp.example.test', new: null },
      'smtpConfig.senderPass': 'secret removed',
      'sendGridConfig.sender': { old: null, new: 'noreply@example.test' },
      'sendGridConfig.apikey': 'secret set',
    });
    expect(JSON.stringify(changes)).not.toContain('SG.new');
  });
});

describe('connectionChanged (does the last verification still apply?)', () => {
  it('is false when only enabled or fallbackOnFailure changed', () => {
    const after = { ...base, enabled: false, fallbackOnFailure: true };
    expect(connectionChanged(base, after, diffConfigs(base, after))).toBe(false);
  });
  it('is false when only another type’s block changed', () => {
    const after = {
      ...base,
      blocks: { ...base.blocks, aliExmailConfig: { sender: 'a@example.test', senderPass: 'x' } },
    };
    expect(connectionChanged(base, after, diffConfigs(base, after))).toBe(false);
  });
  it('is true when the chosen block or the type changed, or for a first save', () => {
    const host = structuredClone(base);
    host.blocks.smtpConfig!.smtp_host = 'other.test';
    expect(connectionChanged(base, host, diffConfigs(base, host))).toBe(true);
    const type = { ...base, type: 'ali' as const };
    expect(connectionChanged(base, type, diffConfigs(base, type))).toBe(true);
    expect(connectionChanged(null, base, diffConfigs(null, base))).toBe(true);
  });
});
