import type { FieldError } from '../common/app.exception';
import type { EmailAddress } from '../transports/mail-transport.interface';

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

export const MAX_RECIPIENTS = 50;
const MAX_ATTACHMENTS = 100;
const MAX_SUBJECT = 998;
const MAX_NAME = 256;
const MAX_TAGS = 20;
const MAX_METADATA_KEYS = 50;
const MAX_METADATA_BYTES = 8 * 1024;

const FIELDS = new Set([
  'from',
  'to',
  'cc',
  'bcc',
  'replyTo',
  'subject',
  'text',
  'html',
  'attachments',
  'headers',
  'tags',
  'metadata',
  'sensitive',
]);
const ADDRESS_FIELDS = new Set(['name', 'email']);
const ATTACHMENT_FIELDS = new Set(['filename', 'content', 'contentType', 'cid']);
/** Keys that could reach an object's prototype chain if ever merged. */
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/** Practical address check (RFC 5321 sizes; dot-atom local part; LDH domain labels or an IP literal). */
const EMAIL_RE =
  /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*@(?:(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}|\[(?:\d{1,3}\.){3}\d{1,3}\]|localhost)$/;
/** CR, LF and NUL end a header line early: the root of header injection. */
const HEADER_BREAK_RE = /[\r\n\0]/;
const HEADER_NAME_RE = /^[!-9;-~]+$/;
const BASE64_RE = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const CONTENT_TYPE_RE =
  /^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}\/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}$/;
const TAG_RE = /^[A-Za-z0-9_.:-]{1,100}$/;
const CID_RE = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~.@-]{1,250}$/;

/** Custom headers a caller may set; the rest (From, To, Message-ID, …) belong to the gateway. */
const ALLOWED_HEADERS = new Set([
  'list-unsubscribe',
  'list-unsubscribe-post',
  'list-id',
  'in-reply-to',
  'references',
  'auto-submitted',
  'precedence',
  'x-priority',
  'importance',
]);
const RESERVED_X_HEADERS = /^x-(mailgate|sg|smtpapi)/i;

export function isAllowedHeader(name: string): boolean {
  const lower = name.toLowerCase();
  return ALLOWED_HEADERS.has(lower) || (lower.startsWith('x-') && !RESERVED_X_HEADERS.test(lower));
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

class Collector {
  readonly errors: FieldError[] = [];
  add(field: string, message: string): void {
    const existing = this.errors.find((e) => e.field === field);
    if (existing !== undefined) {
      existing.messages.push(message);
    } else {
      this.errors.push({ field, messages: [message] });
    }
  }
}

function unknownKeys(
  value: Record<string, unknown>,
  allowed: Set<string>,
  path: string,
  c: Collector,
): void {
  for (const key of Object.keys(value)) {
    if (!allowed.has(key)) {
      c.add(path === '' ? key : `${path}.${key}`, 'is not a known field');
    }
  }
}

function address(value: unknown, path: string, c: Collector): EmailAddress | undefined {
  if (typeof value === 'string') {
    return addressFromParts(undefined, value, path, c);
  }
  if (!isPlainObject(value)) {
    c.add(path, 'must be an email address or { name, email }');
    return undefined;
  }
  unknownKeys(value, ADDRESS_FIELDS, path, c);
  const { name, email } = value;
  if (name !== undefined && typeof name !== 'string') {
    c.add(`${path}.name`, 'must be a string');
    return undefined;
  }
  return addressFromParts(name, email, `${path}.email`, c, `${path}.name`);
}

function addressFromParts(
  name: string | undefined,
  email: unknown,
  emailPath: string,
  c: Collector,
  namePath = emailPath,
): EmailAddress | undefined {
  let ok = true;
  if (typeof email !== 'string' || email.length > 254 || !EMAIL_RE.test(email)) {
    c.add(emailPath, 'must be a valid email address');
    ok = false;
  }
  if (name !== undefined && (HEADER_BREAK_RE.test(name) || name.length > MAX_NAME)) {
    c.add(namePath, `must be at most ${MAX_NAME} characters without CR, LF or NUL`);
    ok = false;
  }
  if (!ok) {
    return undefined;
  }
  return name === undefined || name === ''
    ? { email: email as string }
    : { name, email: email as string };
}

function addressList(
  value: unknown,
  path: string,
  c: Collector,
  required: boolean,
): EmailAddress[] | undefined {
  if (value === undefined) {
    if (required) {
      c.add(path, 'is required: at least one recipient');
    }
    return undefined;
  }
  const items = Array.isArray(value) ? value : [value];
  if (items.length === 0 && required) {
    c.add(path, 'is required: at least one recipient');
  }
  const out: EmailAddress[] = [];
  items.forEach((item, index) => {
    const parsed = address(item, Array.isArray(value) ? `${path}.${index}` : path, c);
    if (parsed !== undefined) {
      out.push(parsed);
    }
  });
  return out;
}

function optionalString(value: unknown, path: string, c: Collector): string | undefined {
  if (value === undefined || value === null) {
    return undefined;
  }
  if (typeof value !== 'string') {
    c.add(path, 'must be a string');
    return undefined;
  }
  return value;
}

/** Decoded size of base64 without decoding it. */
function base64Bytes(content: string): number {
  const padding = content.endsWith('==') ? 2 : content.endsWith('=') ? 1 : 0;
  return (content.length / 4) * 3 - padding;
}

/**
 * Validates one send request and names every failing field (dotted paths, `prefix` for batch items).
 * Hand-written rather than class-validator: fields take a string or an object, and this runs on
 * the hot accept path.
 */
export function validateEmailRequest(
  body: unknown,
  prefix = '',
): { value?: ValidatedEmail; errors: FieldError[] } {
  const c = new Collector();
  const p = (field: string): string => (prefix === '' ? field : `${prefix}.${field}`);
  if (!isPlainObject(body)) {
    c.add(prefix === '' ? 'body' : prefix, 'must be a JSON object');
    return { errors: c.errors };
  }
  unknownKeys(body, FIELDS, prefix, c);

  const from = body.from === undefined ? undefined : address(body.from, p('from'), c);
  const replyTo = body.replyTo === undefined ? undefined : address(body.replyTo, p('replyTo'), c);
  const to = addressList(body.to, p('to'), c, true) ?? [];
  const cc = addressList(body.cc, p('cc'), c, false);
  const bcc = addressList(body.bcc, p('bcc'), c, false);
  const recipients = to.length + (cc?.length ?? 0) + (bcc?.length ?? 0);
  if (recipients > MAX_RECIPIENTS) {
    c.add(
      p('to'),
      `at most ${MAX_RECIPIENTS} recipients in to, cc and bcc together (got ${recipients})`,
    );
  }

  const subject = optionalString(body.subject, p('subject'), c);
  if (subject === undefined || subject.trim() === '') {
    if (!c.errors.some((e) => e.field === p('subject'))) {
      c.add(p('subject'), 'is required');
    }
  } else if (HEADER_BREAK_RE.test(subject) || subject.length > MAX_SUBJECT) {
    c.add(p('subject'), `must be at most ${MAX_SUBJECT} characters without CR, LF or NUL`);
  }

  const text = optionalString(body.text, p('text'), c);
  const html = optionalString(body.html, p('html'), c);
  if ((text === undefined || text === '') && (html === undefined || html === '')) {
    c.add(p('text'), 'text or html is required (the body is empty)');
  }

  let size =
    Buffer.byteLength(text ?? '') +
    Buffer.byteLength(html ?? '') +
    Buffer.byteLength(subject ?? '');

  let attachments: EmailPayload['attachments'];
  if (body.attachments !== undefined) {
    if (!Array.isArray(body.attachments)) {
      c.add(p('attachments'), 'must be an array');
    } else if (body.attachments.length > MAX_ATTACHMENTS) {
      c.add(p('attachments'), `at most ${MAX_ATTACHMENTS} attachments`);
    } else {
      attachments = [];
      body.attachments.forEach((item: unknown, index) => {
        const ap = p(`attachments.${index}`);
        if (!isPlainObject(item)) {
          c.add(ap, 'must be an object { filename, content, contentType?, cid? }');
          return;
        }
        unknownKeys(item, ATTACHMENT_FIELDS, ap, c);
        const { filename, content, contentType, cid } = item;
        let ok = true;
        if (
          typeof filename !== 'string' ||
          filename === '' ||
          filename.length > 255 ||
          HEADER_BREAK_RE.test(filename)
        ) {
          c.add(`${ap}.filename`, 'must be a file name of 1-255 characters without CR, LF or NUL');
          ok = false;
        }
        if (typeof content !== 'string' || !BASE64_RE.test(content)) {
          c.add(`${ap}.content`, 'must be base64');
          ok = false;
        }
        if (
          contentType !== undefined &&
          (typeof contentType !== 'string' || !CONTENT_TYPE_RE.test(contentType))
        ) {
          c.add(`${ap}.contentType`, 'must be a MIME type like application/pdf');
          ok = false;
        }
        if (cid !== undefined && (typeof cid !== 'string' || !CID_RE.test(cid))) {
          c.add(`${ap}.cid`, 'must be a Content-ID of 1-250 safe characters');
          ok = false;
        }
        if (ok) {
          size += base64Bytes(content as string);
          attachments!.push({
            filename: filename as string,
            content: content as string,
            ...(contentType === undefined ? {} : { contentType: contentType as string }),
            ...(cid === undefined ? {} : { cid: cid as string }),
          });
        }
      });
    }
  }

  let headers: Record<string, string> | undefined;
  if (body.headers !== undefined) {
    if (!isPlainObject(body.headers)) {
      c.add(p('headers'), 'must be an object of header name to value');
    } else {
      headers = {};
      for (const [name, value] of Object.entries(body.headers)) {
        const hp = p(`headers.${name}`);
        if (FORBIDDEN_KEYS.has(name) || !HEADER_NAME_RE.test(name) || name.length > 76) {
          c.add(hp, 'is not a valid header name');
        } else if (!isAllowedHeader(name)) {
          c.add(
            hp,
            'is not an allowed header (X-* and List-Unsubscribe, In-Reply-To, References, …)',
          );
        } else if (typeof value !== 'string' || HEADER_BREAK_RE.test(value) || value.length > 998) {
          c.add(hp, 'must be a string of at most 998 characters without CR, LF or NUL');
        } else {
          headers[name] = value;
          size += name.length + value.length + 4;
        }
      }
    }
  }

  let tags: string[] | null = null;
  if (body.tags !== undefined) {
    if (!Array.isArray(body.tags) || body.tags.length > MAX_TAGS) {
      c.add(p('tags'), `must be an array of at most ${MAX_TAGS} tags`);
    } else {
      tags = [];
      body.tags.forEach((tag: unknown, index) => {
        if (typeof tag !== 'string' || !TAG_RE.test(tag)) {
          c.add(p(`tags.${index}`), 'must be 1-100 characters of A-Z a-z 0-9 _ . : -');
        } else {
          tags!.push(tag);
        }
      });
    }
  }

  let metadata: Record<string, string | number | boolean> | null = null;
  if (body.metadata !== undefined) {
    if (!isPlainObject(body.metadata) || Object.keys(body.metadata).length > MAX_METADATA_KEYS) {
      c.add(p('metadata'), `must be an object of at most ${MAX_METADATA_KEYS} keys`);
    } else if (Buffer.byteLength(JSON.stringify(body.metadata)) > MAX_METADATA_BYTES) {
      c.add(p('metadata'), `must be at most ${MAX_METADATA_BYTES} bytes as JSON`);
    } else {
      metadata = {};
      for (const [key, value] of Object.entries(body.metadata)) {
        if (FORBIDDEN_KEYS.has(key) || key.length > 100 || key === '') {
          c.add(p(`metadata.${key}`), 'is not an allowed key');
        } else if (!['string', 'number', 'boolean'].includes(typeof value)) {
          c.add(p(`metadata.${key}`), 'must be a string, number or boolean');
        } else {
          metadata[key] = value as string | number | boolean;
        }
      }
    }
  }

  if (body.sensitive !== undefined && typeof body.sensitive !== 'boolean') {
    c.add(p('sensitive'), 'must be true or false');
  }

  if (c.errors.length > 0) {
    return { errors: c.errors };
  }
  const payload: EmailPayload = { to, subject: subject! };
  if (from !== undefined) {
    payload.from = from;
  }
  if (cc !== undefined && cc.length > 0) {
    payload.cc = cc;
  }
  if (bcc !== undefined && bcc.length > 0) {
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
  if (attachments !== undefined && attachments.length > 0) {
    payload.attachments = attachments;
  }
  if (headers !== undefined && Object.keys(headers).length > 0) {
    payload.headers = headers;
  }
  return {
    value: { payload, tags, metadata, sensitive: body.sensitive === true, sizeBytes: size },
    errors: [],
  };
}
