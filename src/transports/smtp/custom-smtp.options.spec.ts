import { ALLOW_ALL_EGRESS } from '../../common/egress';
import { customSmtpTransportOptions } from './custom-smtp.options';

describe('customSmtpTransportOptions', () => {
  const base = { host: 'smtp.corp.example', login: 'app@corp.example', password: 'pw' };

  it('maps the seed fields: sender is the login and the default From', () => {
    expect(
      customSmtpTransportOptions({ ...base, port: 587 }, ALLOW_ALL_EGRESS, {
        socketTimeoutMs: 1_000,
      }),
    ).toEqual({
      name: 'provider:custom',
      host: 'smtp.corp.example',
      port: 587,
      secure: false,
      auth: { user: 'app@corp.example', pass: 'pw' },
      defaultFrom: { email: 'app@corp.example' },
      socketTimeoutMs: 1_000,
      egress: ALLOW_ALL_EGRESS,
      plaintextAuth: 'loopback',
    });
  });

  it.each<[number, boolean | undefined, boolean]>([
    [465, undefined, true],
    [587, undefined, false],
    [25, undefined, false],
    [465, false, false],
    [2465, true, true],
  ])('port %i with secure=%s → implicit TLS %s', (port, secure, expected) => {
    expect(customSmtpTransportOptions({ ...base, port, secure }, ALLOW_ALL_EGRESS).secure).toBe(
      expected,
    );
  });

  it('accepts a port sent as a string', () => {
    const config = { ...base, port: '465' as unknown as number };
    expect(customSmtpTransportOptions(config, ALLOW_ALL_EGRESS)).toMatchObject({
      port: 465,
      secure: true,
    });
  });

  it('has no AUTH and no default From without a sender', () => {
    expect(
      customSmtpTransportOptions({ ...base, login: '', port: 25 }, ALLOW_ALL_EGRESS),
    ).toMatchObject({
      auth: undefined,
      defaultFrom: undefined,
    });
  });
});
