import { applyDecorators } from '@nestjs/common';
import { Type } from 'class-transformer';
import {
  IsBoolean,
  IsDefined,
  IsEmail,
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

  // Optional in GenAuth's seed, required here: it is the login and the From, and a guessed one would be wrong.
  @IsDefined({
    message:
      '$property is required: it is the SMTP login and the default From address, and mailgate does not derive it',
  })
  // validator.js' isEmail also refuses addresses over RFC 5321's 254 octets.
  @IsEmail({}, { message: '$property must be an email address' })
  sender!: string;

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
  @IsEmail({}, { message: '$property must be an email address' })
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
  @IsEmail({}, { message: '$property must be an email address' })
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
