import { applyDecorators } from '@nestjs/common';
import { Type } from 'class-transformer';
import {
  IsBoolean,
  IsDefined,
  IsInt,
  IsNotEmpty,
  IsObject,
  IsOptional,
  IsString,
  Max,
  MaxLength,
  Min,
  ValidateIf,
  ValidateNested,
} from 'class-validator';
import type { ExmailConfig, SendGridConfig, SmtpConfig } from '../provider-config.types';
import type { ProviderType } from '../provider-type.enum';
import { IsHostnameOrIp } from './is-hostname-or-ip.validator';
import { IsMailbox, IsSmtpLogin } from './is-mailbox.validator';
import { IsSendGridVerificationKey } from './is-sendgrid-verification-key.validator';

/** Longest secret accepted; real SMTP passwords and SendGrid keys are far shorter. */
const MAX_SECRET_LENGTH = 1024;

/** GenAuth's `smtpConfig` (type `custom`). Field names are the seed's, snake_case included. */
export class SmtpConfigDto implements SmtpConfig {
  @IsString()
  @IsNotEmpty()
  @IsHostnameOrIp()
  smtp_host!: string;

  @IsInt()
  @Min(1)
  @Max(65535)
  smtp_port!: number;

  // The SMTP login, optional as in GenAuth's seed (absent or empty: no AUTH). Real relays log in
  // with names that are not addresses (SES access key id, SendGrid's `apikey`); when it is an
  // address it is also the default From.
  @IsOptional()
  @IsSmtpLogin()
  sender?: string;

  @IsString()
  @IsNotEmpty()
  @MaxLength(MAX_SECRET_LENGTH)
  senderPass!: string;

  @IsOptional()
  @IsBoolean()
  secure?: boolean;
}

/** GenAuth's `sendGridConfig` (type `sendgrid`). */
export class SendGridConfigDto implements SendGridConfig {
  // The From of every message: `addr` or `Name <addr>`.
  @IsMailbox(true)
  sender!: string;

  @IsString()
  @IsNotEmpty()
  @MaxLength(MAX_SECRET_LENGTH)
  apikey!: string;

  /** Extension: SendGrid's Signed Event Webhook verification key (public; README "SendGrid events"). */
  @IsOptional()
  @IsString()
  @IsSendGridVerificationKey()
  webhookVerificationKey?: string;
}

/** GenAuth's `aliExmailConfig` (type `ali`) and `tencentExmailConfig` (type `qq`). */
export class ExmailConfigDto implements ExmailConfig {
  // The mailbox: login and the only From these services accept.
  @IsMailbox(false)
  sender!: string;

  @IsString()
  @IsNotEmpty()
  @MaxLength(MAX_SECRET_LENGTH)
  senderPass!: string;
}

type HasType = { type?: unknown };

/**
 * One config block: validated whenever present; required when `requiredWhen` holds for the DTO
 * (e.g. enabled with this block's type).
 */
export function ProviderBlock<T extends HasType>(
  type: ProviderType,
  cls: new () => object,
  requiredWhen: (dto: T) => boolean,
): PropertyDecorator {
  return applyDecorators(
    ValidateIf((dto: T, value: unknown) => value !== undefined || requiredWhen(dto)),
    IsDefined({ message: `$property is required when type is '${type}'` }),
    IsObject(),
    ValidateNested(),
    Type(() => cls),
  );
}
