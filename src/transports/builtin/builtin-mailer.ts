import type { AppEnv } from '../../config/env';
import { DeliveryError } from '../delivery-error';
import type { EmailAddress, MailTransport } from '../mail-transport.interface';
import { SendGridTransport } from '../sendgrid/sendgrid.transport';
import { SmtpTransport, type SmtpTuning } from '../smtp/smtp.transport';
import { BUILTIN_TRANSPORT_NAME } from '../transports.constants';
import { CaptureTransport } from './capture.transport';

/** What a BUILTIN_MAILER_URL describes; secrets stay in memory and never reach a message. */
export type BuiltinMailerSpec =
  | {
      kind: 'smtp';
      host: string;
      port: number;
      secure: boolean;
      auth?: { user: string; pass: string };
    }
  | { kind: 'sendgrid'; apiKey: string; baseUrl?: string }
  | { kind: 'capture' };

function configError(message: string): DeliveryError {
  return new DeliveryError('config', message, { code: 'BUILTIN_MAILER_URL' });
}

function decode(component: string): string {
  try {
    return decodeURIComponent(component);
  } catch {
    throw configError('BUILTIN_MAILER_URL has a malformed percent-encoded user or password');
  }
}

/**
 * Parses `smtp://user:pass@host:587` (STARTTLS when offered), `smtps://user:pass@host:465`,
 * `sendgrid://APIKEY@default` (or `sendgrid://apikey:APIKEY@host`) and `capture://`. Errors
 * never repeat the URL: it carries credentials.
 */
export function parseBuiltinMailerUrl(value: string): BuiltinMailerSpec {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw configError('BUILTIN_MAILER_URL is not a valid URL');
  }
  switch (url.protocol) {
    case 'smtp:':
    case 'smtps:': {
      const secure = url.protocol === 'smtps:';
      const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
      if (host === '') {
        throw configError('BUILTIN_MAILER_URL has no SMTP host');
      }
      const user = decode(url.username);
      return {
        kind: 'smtp',
        host,
        port: url.port === '' ? (secure ? 465 : 587) : Number(url.port),
        secure,
        auth: user === '' ? undefined : { user, pass: decode(url.password) },
      };
    }
    case 'sendgrid:': {
      // The key is the user part, or the password when the user is the literal `apikey`.
      const apiKey = url.password !== '' ? decode(url.password) : decode(url.username);
      if (apiKey === '') {
        throw configError('BUILTIN_MAILER_URL has no SendGrid API key');
      }
      const host = url.host;
      return host === '' || host === 'default'
        ? { kind: 'sendgrid', apiKey }
        : { kind: 'sendgrid', apiKey, baseUrl: `https://${host}` };
    }
    case 'capture:':
      return { kind: 'capture' };
    default:
      throw configError('BUILTIN_MAILER_URL must be smtp://, smtps://, sendgrid:// or capture://');
  }
}

/** `Name <address>` or a bare address, as BUILTIN_MAIL_FROM allows. */
export function parseMailbox(value: string): EmailAddress {
  const match = /^\s*(.*?)\s*<([^<>\s]+@[^<>\s]+)>\s*$/.exec(value);
  if (match === null) {
    return { email: value.trim() };
  }
  const name = match[1].replace(/^"(.*)"$/, '$1').trim();
  return name === '' ? { email: match[2] } : { name, email: match[2] };
}

/** The built-in mailer is an ordinary adapter named `builtin`, built from the environment. */
export function createBuiltinTransport(env: AppEnv, smtpTuning: SmtpTuning = {}): MailTransport {
  const spec = parseBuiltinMailerUrl(env.mailer.builtinMailerUrl);
  const defaultFrom = parseMailbox(env.mailer.builtinMailFrom);
  switch (spec.kind) {
    case 'smtp':
      return new SmtpTransport({
        ...smtpTuning,
        name: BUILTIN_TRANSPORT_NAME,
        host: spec.host,
        port: spec.port,
        secure: spec.secure,
        auth: spec.auth,
        defaultFrom,
        plaintextAuth: env.smtp.allowPlaintextAuth,
      });
    case 'sendgrid':
      return new SendGridTransport({
        name: BUILTIN_TRANSPORT_NAME,
        apiKey: spec.apiKey,
        baseUrl: spec.baseUrl ?? env.mailer.sendgridApiUrl,
        defaultFrom,
      });
    case 'capture':
      // It sends nothing: in production every message would silently vanish.
      if (env.app.production) {
        throw new DeliveryError('config', 'capture:// sends nothing and is refused in production', {
          code: 'BUILTIN_CAPTURE_IN_PRODUCTION',
        });
      }
      return new CaptureTransport(defaultFrom);
  }
}
