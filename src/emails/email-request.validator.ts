import { parseMailbox } from '../common/addresses';
import type { FieldError } from '../common/app.exception';
import type { EmailAddress } from '../transports/mail-transport.interface';
import {
  emailRequestValidator,
  fieldErrorsOf,
  MAX_METADATA_BYTES,
  MAX_RECIPIENTS,
} from './email-request.schema';

/** A send request after validation: what the outbox stores and the dispatcher sends. */
export interface EmailPayload {
  from?: EmailAddress;
  /** Display name for the default sender when `from` is absent: a template's `sender`. */
  fromName?: string;
  to: EmailAddress[];
  cc?: EmailAddress[];
  bcc?: EmailAddress[];
  replyTo?: EmailAddress;
  subject: string;
  text?: string;
  html?: string;
  /** Base64 content as received (validated), decoded only when sending. */
  attachments?: Array<{ filename: string; content: string; contentType?: string; cid?: string }>;
  headers?: Record<string, string>;
}

export interface ValidatedEmail {
  payload: EmailPayload;
  tags: string[] | null;
  metadata: Record<string, string | number | boolean> | null;
  /** Content encrypted at rest and removed once final (verification codes, reset links). */
  sensitive: boolean;
  /** Bytes of the rendered content (text, html, decoded attachments, headers): checked against MAX_MESSAGE_BYTES. */
  sizeBytes: number;
}

export { isAllowedHeader, MAX_RECIPIENTS } from './email-request.schema';

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function add(errors: FieldError[], field: string, message: string): void {
  const existing = errors.find((e) => e.field === field);
  if (existing === undefined) {
    errors.push({ field, messages: [message] });
  } else if (!existing.messages.includes(message)) {
    existing.messages.push(message);
  }
}

/**
 * One mailbox through the project's address module (the schema has checked its shape): a string
 * names its own path on failure, `{ name, email }` names `.name` or `.email`.
 */
function address(value: unknown, path: string, errors: FieldError[]): EmailAddress | undefined {
  if (typeof value !== 'string' && !isPlainObject(value)) {
    return undefined;
  }
  const parsed = parseMailbox(value);
  if (!parsed.ok) {
    add(errors, typeof value === 'string' ? path : `${path}.${parsed.part}`, parsed.problem);
    return undefined;
  }
  return parsed.value;
}

function addressList(value: unknown, path: string, errors: FieldError[]): EmailAddress[] {
  if (value === undefined) {
    return [];
  }
  const out: EmailAddress[] = [];
  const items = Array.isArray(value) ? value : [value];
  items.forEach((item, index) => {
    const parsed = address(item, Array.isArray(value) ? `${path}.${index}` : path, errors);
    if (parsed !== undefined) {
      out.push(parsed);
    }
  });
  return out;
}

/** Decoded size of base64 without decoding it. */
function base64Bytes(content: string): number {
  const padding = content.endsWith('==') ? 2 : content.endsWith('=') ? 1 : 0;
  return (content.length / 4) * 3 - padding;
}

/** A request's addresses, parsed and normalised by the address module. */
interface RequestAddresses {
  from?: EmailAddress;
  replyTo?: EmailAddress;
  to: EmailAddress[];
  cc: EmailAddress[];
  bcc: EmailAddress[];
}

/** Address syntax (the address module), and the recipients of to, cc and bcc together. */
function checkAddresses(
  body: Record<string, unknown>,
  p: (field: string) => string,
  errors: FieldError[],
): RequestAddresses {
  const from = address(body.from, p('from'), errors);
  const replyTo = address(body.replyTo, p('replyTo'), errors);
  const to = addressList(body.to, p('to'), errors);
  const cc = addressList(body.cc, p('cc'), errors);
  const bcc = addressList(body.bcc, p('bcc'), errors);
  const recipients = to.length + cc.length + bcc.length;
  if (recipients > MAX_RECIPIENTS) {
    add(
      errors,
      p('to'),
      `at most ${MAX_RECIPIENTS} recipients in to, cc and bcc together (got ${recipients})`,
    );
  }
  return { from, replyTo, to, cc, bcc };
}

/** The metadata's size as JSON, which JSON Schema cannot say. */
function checkMetadataSize(
  body: Record<string, unknown>,
  p: (field: string) => string,
  errors: FieldError[],
): void {
  if (
    isPlainObject(body.metadata) &&
    Buffer.byteLength(JSON.stringify(body.metadata)) > MAX_METADATA_BYTES
  ) {
    add(errors, p('metadata'), `must be at most ${MAX_METADATA_BYTES} bytes as JSON`);
  }
}

/** Bytes of a valid request's content (text, html, subject, decoded attachments, headers). */
function contentSize(body: Record<string, unknown>): number {
  // The schema has checked every type below.
  const text = (body.text ?? undefined) as string | undefined;
  const html = (body.html ?? undefined) as string | undefined;
  let size =
    Buffer.byteLength(text ?? '') +
    Buffer.byteLength(html ?? '') +
    Buffer.byteLength(body.subject as string);
  for (const a of (body.attachments ?? []) as NonNullable<EmailPayload['attachments']>) {
    size += base64Bytes(a.content);
  }
  for (const [name, value] of Object.entries((body.headers ?? {}) as Record<string, string>)) {
    size += name.length + value.length + 4;
  }
  return size;
}

/** A valid request as the outbox stores it: only what was given, addresses normalised. */
function payloadOf(body: Record<string, unknown>, addresses: RequestAddresses): EmailPayload {
  // The schema has checked every type below.
  const { from, replyTo, to, cc, bcc } = addresses;
  const text = (body.text ?? undefined) as string | undefined;
  const html = (body.html ?? undefined) as string | undefined;
  const attachments = (body.attachments ?? []) as NonNullable<EmailPayload['attachments']>;
  const headers = (body.headers ?? {}) as Record<string, string>;
  const payload: EmailPayload = { to, subject: body.subject as string };
  if (from !== undefined) {
    payload.from = from;
  }
  if (cc.length > 0) {
    payload.cc = cc;
  }
  if (bcc.length > 0) {
    payload.bcc = bcc;
  }
  if (replyTo !== undefined) {
    payload.replyTo = replyTo;
  }
  if (text !== undefined && text !== '') {
    payload.text = text;
  }
  if (html !== undefined && html !== '') {
    payload.html = html;
  }
  if (attachments.length > 0) {
    payload.attachments = attachments.map(({ filename, content, contentType, cid }) => ({
      filename,
      content,
      ...(contentType === undefined ? {} : { contentType }),
      ...(cid === undefined ? {} : { cid }),
    }));
  }
  if (Object.keys(headers).length > 0) {
    payload.headers = { ...headers };
  }
  return payload;
}

/**
 * Validates one send request and names every failing field (dotted paths, `prefix` for batch
 * items). First the schema (email-request.schema.ts, compiled by ajv: the same object the OpenAPI
 * document shows), then what JSON Schema cannot say: address syntax (the address module, which
 * also normalises), the recipients of to, cc and bcc together, and the metadata's size as JSON.
 */
export function validateEmailRequest(
  body: unknown,
  prefix = '',
): { value?: ValidatedEmail; errors: FieldError[] } {
  const validate = emailRequestValidator();
  const errors = validate(body) ? [] : fieldErrorsOf(validate.errors ?? [], prefix);
  if (!isPlainObject(body)) {
    return { errors };
  }
  const p = (field: string): string => (prefix === '' ? field : `${prefix}.${field}`);
  const addresses = checkAddresses(body, p, errors);
  checkMetadataSize(body, p, errors);
  if (errors.length > 0) {
    return { errors };
  }
  return {
    value: {
      payload: payloadOf(body, addresses),
      tags: body.tags === undefined ? null : [...(body.tags as string[])],
      metadata:
        body.metadata === undefined
          ? null
          : { ...(body.metadata as Record<string, string | number | boolean>) },
      sensitive: body.sensitive === true,
      sizeBytes: contentSize(body),
    },
    errors: [],
  };
}
