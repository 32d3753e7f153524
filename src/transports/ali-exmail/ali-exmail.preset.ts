import type { ExmailConfig } from '../../provider-config/provider-config.types';
import { exmailTransportOptions, type SmtpPreset } from '../smtp/smtp-preset';
import type { SmtpTransportOptions, SmtpTuning } from '../smtp/smtp.transport';
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
  config: ExmailConfig,
  preset: SmtpPreset = ALI_EXMAIL_PRESET,
  tuning?: SmtpTuning,
): SmtpTransportOptions {
  return exmailTransportOptions(providerTransportName('ali'), preset, config, tuning);
}
