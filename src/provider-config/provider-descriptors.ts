import type { Type } from '@nestjs/common';
import type { ProviderTransportOptions } from '../transports/provider-adapters';
import { ExmailConfigDto, SendGridConfigDto, SmtpConfigDto } from './dto/provider-blocks.dto';
import type { ExmailConfig, SendGridConfig, SmtpConfig } from './provider-config.types';
import type { ProviderType } from './provider-type.enum';

/**
 * What a provider type is on GenAuth's side, in one place: its config block, how the block is
 * validated, which field is the secret and what that secret is bound to, and how the block maps
 * onto the options of the type's transport adapter (transports/PROVIDER_ADAPTERS).
 */
export interface ProviderDescriptor<
  T extends ProviderType,
  K extends string,
  Block extends object,
> {
  type: T;
  /** GenAuth's config block of this type in EmailProviderDto. */
  block: K;
  /** The block's class-validator DTO (requests, and the OpenAPI schema of the same name). */
  dto: Type<Block>;
  /** The one secret: encrypted at rest, masked in answers, never logged or audited. */
  secretField: keyof Block & string;
  /** Fields the stored secret is bound to: changing one while posting the mask needs the secret again. */
  bindingFields: ReadonlyArray<keyof Block & string>;
  /** Other changes that refuse the mask (a weakened connection), as field names. */
  weakenedFields?(input: Record<string, unknown>, stored: Record<string, unknown>): string[];
  /** The block as stored: the known fields of a validated request block. */
  fromInput(input: Block): Block;
  /** The block as answers show it (its secret already masked). */
  toAnswer(block: Block): Block;
  /** The transport adapter's options (secret in plaintext, in memory only). */
  toTransport(block: Block): ProviderTransportOptions<T>;
}

/** Identity that lets TypeScript infer a descriptor's type, block name and block shape. */
function provider<T extends ProviderType, K extends string, Block extends object>(
  descriptor: ProviderDescriptor<T, K, Block>,
): ProviderDescriptor<T, K, Block> {
  return descriptor;
}

const exmail = {
  dto: ExmailConfigDto,
  secretField: 'senderPass',
  bindingFields: ['sender'],
  fromInput: (block: ExmailConfig): ExmailConfig => ({
    sender: block.sender,
    senderPass: block.senderPass,
  }),
  toAnswer: (block: ExmailConfig): ExmailConfig => block,
  // The mailbox is the login, the default From and the only From these services accept.
  toTransport: (block: ExmailConfig) => ({ mailbox: block.sender, password: block.senderPass }),
} as const;

/** The seed's four types, in the order GenAuth lists their blocks. */
export const PROVIDER_DESCRIPTORS = [
  provider({
    type: 'custom',
    block: 'smtpConfig',
    dto: SmtpConfigDto,
    secretField: 'senderPass',
    bindingFields: ['smtp_host', 'smtp_port', 'sender'],
    // Turning implicit TLS off could expose the kept password to whoever sits on the path.
    weakenedFields: (input, stored) =>
      stored.secure === true && input.secure !== true ? ['secure'] : [],
    fromInput: (smtp: SmtpConfig): SmtpConfig => ({
      smtp_host: String(smtp.smtp_host),
      smtp_port: Number(smtp.smtp_port),
      senderPass: String(smtp.senderPass),
      // `secure` absent means false, as the transport reads it.
      secure: smtp.secure === true,
      // The login is optional (absent: no AUTH) and echoed as saved, so absent stays absent.
      ...(typeof smtp.sender === 'string' ? { sender: smtp.sender } : {}),
    }),
    toAnswer: (smtp: SmtpConfig): SmtpConfig => ({ ...smtp, secure: smtp.secure === true }),
    toTransport: (smtp: SmtpConfig) => ({
      host: smtp.smtp_host,
      port: smtp.smtp_port,
      login: smtp.sender,
      password: smtp.senderPass,
      secure: smtp.secure,
    }),
  }),
  provider({
    type: 'sendgrid',
    block: 'sendGridConfig',
    dto: SendGridConfigDto,
    secretField: 'apikey',
    // The key only ever goes to SENDGRID_API_URL, which the operator controls.
    bindingFields: [],
    fromInput: (block: SendGridConfig): SendGridConfig => ({
      sender: block.sender,
      apikey: block.apikey,
      ...(block.webhookVerificationKey === undefined
        ? {}
        : { webhookVerificationKey: block.webhookVerificationKey }),
    }),
    toAnswer: (block: SendGridConfig): SendGridConfig => block,
    toTransport: (block: SendGridConfig) => ({ apiKey: block.apikey, from: block.sender }),
  }),
  provider({ ...exmail, type: 'ali', block: 'aliExmailConfig' }),
  provider({ ...exmail, type: 'qq', block: 'tencentExmailConfig' }),
] as const;

export type AnyProviderDescriptor = (typeof PROVIDER_DESCRIPTORS)[number];
export type BlockKey = AnyProviderDescriptor['block'];
/** The block shape of a descriptor. */
export type BlockOf<D> =
  D extends ProviderDescriptor<ProviderType, string, infer Block> ? Block : never;

/** The descriptor of each type; a type without one does not compile. */
export const PROVIDER_OF_TYPE = Object.fromEntries(
  PROVIDER_DESCRIPTORS.map((descriptor) => [descriptor.type, descriptor]),
) as { [T in ProviderType]: Extract<AnyProviderDescriptor, { type: T }> };

// Compile-time check that every provider type has a descriptor.
type Undescribed = Exclude<ProviderType, AnyProviderDescriptor['type']>;
export const EVERY_TYPE_DESCRIBED: Undescribed extends never ? true : never = true;

/** The descriptor of each block. */
export const PROVIDER_OF_BLOCK = Object.fromEntries(
  PROVIDER_DESCRIPTORS.map((descriptor) => [descriptor.block, descriptor]),
) as Record<BlockKey, AnyProviderDescriptor>;
