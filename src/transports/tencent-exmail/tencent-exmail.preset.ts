import type { ExmailConfig } from '../../provider-config/provider-config.types';
import { exmailTransportOptions, type SmtpPreset } from '../smtp/smtp-preset';
import type { SmtpTransportOptions, SmtpTuning } from '../smtp/smtp.transport';
import { providerTransportName } from '../transports.constants';

/** Tencent enterprise mail (`type: 'qq'`): implicit TLS on 465, as in nodemailer's well-known services (`QQex`). */
export const TENCENT_EXMAIL_PRESET: Readonly<SmtpPreset> = Object.freeze({
  host: 'smtp.exmail.qq.com',
  port: 465,
  secure: true,
});

export function tencentExmailTransportOptions(
  config: ExmailConfig,
  preset: SmtpPreset = TENCENT_EXMAIL_PRESET,
  tuning?: SmtpTuning,
): SmtpTransportOptions {
  return exmailTransportOptions(providerTransportName('qq'), preset, config, tuning);
}
