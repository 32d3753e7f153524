import { smtpPoolTuning, type ProviderAdapter } from '../provider-adapter';
import {
  EXMAIL_DEFAULTS,
  exmailTransportOptions,
  type MailboxLogin,
  type SmtpPreset,
} from '../smtp/smtp-preset';
import { SmtpTransport, type SmtpTransportOptions, type SmtpTuning } from '../smtp/smtp.transport';
import { providerTransportName } from '../transports.constants';

/** Tencent enterprise mail (`type: 'qq'`): implicit TLS on 465, as in nodemailer's well-known services (`QQex`). */
export const TENCENT_EXMAIL_PRESET: Readonly<SmtpPreset> = Object.freeze({
  host: 'smtp.exmail.qq.com',
  port: 465,
  secure: true,
});

export function tencentExmailTransportOptions(
  config: MailboxLogin,
  preset: SmtpPreset = TENCENT_EXMAIL_PRESET,
  tuning?: SmtpTuning,
): SmtpTransportOptions {
  return exmailTransportOptions(providerTransportName('qq'), preset, config, tuning);
}

/** `type: 'qq'`: the mailbox through the preset (TransportFactoryOptions may replace it in tests). */
export const TENCENT_EXMAIL_ADAPTER: ProviderAdapter<MailboxLogin> = {
  defaults: EXMAIL_DEFAULTS,
  create: (mailbox, context) =>
    new SmtpTransport(
      tencentExmailTransportOptions(
        mailbox,
        context.presets.qq,
        smtpPoolTuning(context, EXMAIL_DEFAULTS),
      ),
    ),
};
