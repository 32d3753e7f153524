import { smtpPoolTuning, type ProviderAdapter } from '../provider-adapter';
import {
  EXMAIL_DEFAULTS,
  exmailTransportOptions,
  type MailboxLogin,
  type SmtpPreset,
} from '../smtp/smtp-preset';
import { SmtpTransport, type SmtpTransportOptions, type SmtpTuning } from '../smtp/smtp.transport';
import { providerTransportName } from '../transports.constants';

/**
 * Alibaba enterprise mail (`type: 'ali'`): implicit TLS on 465, as in nodemailer's well-known
 * services (`AliyunQiye`) and https://help.aliyun.com/document_detail/36687.html
 */
export const ALI_EXMAIL_PRESET: Readonly<SmtpPreset> = Object.freeze({
  host: 'smtp.qiye.aliyun.com',
  port: 465,
  secure: true,
});

export function aliExmailTransportOptions(
  config: MailboxLogin,
  preset: SmtpPreset = ALI_EXMAIL_PRESET,
  tuning?: SmtpTuning,
): SmtpTransportOptions {
  return exmailTransportOptions(providerTransportName('ali'), preset, config, tuning);
}

/** `type: 'ali'`: the mailbox through the preset (TransportFactoryOptions may replace it in tests). */
export const ALI_EXMAIL_ADAPTER: ProviderAdapter<MailboxLogin> = {
  defaults: EXMAIL_DEFAULTS,
  create: (mailbox, context) =>
    new SmtpTransport(
      aliExmailTransportOptions(
        mailbox,
        context.presets.ali,
        smtpPoolTuning(context, EXMAIL_DEFAULTS),
      ),
    ),
};
