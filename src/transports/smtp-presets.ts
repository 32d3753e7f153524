import { ALI_EXMAIL_PRESET } from './ali-exmail/ali-exmail.preset';
import type { SmtpPresetTable } from './smtp/smtp-preset';
import { TENCENT_EXMAIL_PRESET } from './tencent-exmail/tencent-exmail.preset';

/** The real hosts; `TransportFactoryOptions.smtpPresets` overrides entries (tests only). */
export const DEFAULT_SMTP_PRESETS: Readonly<SmtpPresetTable> = Object.freeze({
  ali: ALI_EXMAIL_PRESET,
  qq: TENCENT_EXMAIL_PRESET,
});
