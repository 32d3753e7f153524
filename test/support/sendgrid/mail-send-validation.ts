/**
 * Validation of a `POST /v3/mail/send` body, after SendGrid's v3 API reference and its list of
 * 400 errors: https://www.twilio.com/docs/sendgrid/api-reference/mail-send/mail-send and
 * https://www.twilio.com/docs/sendgrid/api-reference/mail-send/errors
 *
 * Stricter than SendGrid in one place: header values must be printable ASCII, because SendGrid
 * asks callers to encode unicode header values themselves and passes them through otherwise.
 */

export interface MailSendAddress {
  email: string;
  name?: string;
}

/** A v3 mail/send body that passed `validateMailSendBody` (the fields mailgate uses, typed). */
export interface MailSendBody {
  personalizations: {
    to: MailSendAddress[];
    cc?: MailSendAddress[];
    bcc?: MailSendAddress[];
    subject?: string;
    headers?: Record<string, string>;
    custom_args?: Record<string, string>;
  }[];
  from: MailSendAddress;
  reply_to?: MailSendAddress;
  subject?: string;
  content?: { type: string; value: string }[];
  attachments?: {
    content: string;
    filename: string;
    type?: string;
    disposition?: 'attachment' | 'inline';
    content_id?: string;
  }[];
  headers?: Record<string, string>;
  custom_args?: Record<string, string>;
  template_id?: string;
  [field: string]: unknown;
}

/** One entry of SendGrid's `{ errors: [...] }` 400 body. */
export interface SendGridApiError {
  message: string;
  field: string | null;
  help: string | null;
}

const HELP_BASE = 'http://sendgrid.com/docs/API_Reference/Web_API_v3/Mail/errors.html#message.';
const EMAIL_RE = /^[^\s@<>(),;:"]+@[^\s@<>(),;:"]+\.[^\s@<>(),;:"]+$/;
const BASE64_RE = /^[A-Za-z0-9+/]*={0,2}$/;
/** Headers SendGrid sets itself and refuses in `headers`. */
export const SENDGRID_RESERVED_HEADERS = [
  'x-sg-id',
  'x-sg-eid',
  'received',
  'dkim-signature',
  'content-type',
  'content-transfer-encoding',
  'to',
  'from',
  'subject',
  'reply-to',
  'cc',
  'bcc',
];
const MAX_PERSONALIZATIONS = 1000;
const MAX_RECIPIENTS = 1000;
const MAX_CUSTOM_ARGS_BYTES = 10_000;

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

class Collector {
  readonly errors: SendGridApiError[] = [];
  add(field: string | null, message: string): void {
    const anchor = field?.replace(/\.\d+/g, '').replace(/\[\d+\]/g, '');
    this.errors.push({ field, message, help: anchor ? `${HELP_BASE}${anchor}` : null });
  }
}

function checkAddress(c: Collector, value: unknown, field: string, what: string): string | null {
  if (!isObject(value) || typeof value.email !== 'string') {
    c.add(
      field,
      `The ${what} object must at least have an email parameter with a valid email address and may also contain a name parameter. e.g. {"email" : "example@example.com"} or {"email" : "example@example.com", "name" : "Example Recipient"}`,
    );
    return null;
  }
  if (!EMAIL_RE.test(value.email)) {
    c.add(`${field}.email`, `The ${what} email does not contain a valid address.`);
    return null;
  }
  if (value.name !== undefined && typeof value.name !== 'string') {
    c.add(`${field}.name`, 'Invalid type. Expected: string, given: ' + typeof value.name + '.');
  }
  return value.email.toLowerCase();
}

function checkStringMap(c: Collector, value: unknown, field: string): Json | null {
  if (value === undefined) {
    return null;
  }
  if (!isObject(value)) {
    c.add(
      field,
      `Invalid type. Expected: object, given: ${Array.isArray(value) ? 'array' : typeof value}.`,
    );
    return null;
  }
  for (const [key, entry] of Object.entries(value)) {
    if (typeof entry !== 'string') {
      c.add(`${field}.${key}`, `Invalid type. Expected: string, given: ${typeof entry}.`);
    }
  }
  return value;
}

function checkHeaders(c: Collector, value: unknown, field: string): void {
  const headers = checkStringMap(c, value, field);
  if (headers === null) {
    return;
  }
  for (const [key, entry] of Object.entries(headers)) {
    if (SENDGRID_RESERVED_HEADERS.includes(key.toLowerCase())) {
      c.add(
        field,
        `The following headers are reserved and cannot be set: ${SENDGRID_RESERVED_HEADERS.join(', ')}. You included ${key}.`,
      );
    } else if (!/^[!-9;-~]+$/.test(key)) {
      c.add(field, `Invalid header name: ${JSON.stringify(key)}.`);
    } else if (typeof entry === 'string' && !/^[\t -~]*$/.test(entry)) {
      c.add(
        `${field}.${key}`,
        'Header values must be ASCII without line breaks; encode unicode per RFC 2047.',
      );
    }
  }
}

function checkPersonalizations(c: Collector, value: unknown): { allHaveSubject: boolean } {
  if (!Array.isArray(value) || value.length === 0) {
    c.add('personalizations', 'You must have at least one personalization.');
    return { allHaveSubject: false };
  }
  if (value.length > MAX_PERSONALIZATIONS) {
    c.add(
      'personalizations',
      `The personalization block is limited to ${MAX_PERSONALIZATIONS} personalizations per API request. You have provided ${value.length} personalizations. Please consider splitting this into multiple requests and resending your request.`,
    );
  }
  let recipients = 0;
  let allHaveSubject = true;
  value.forEach((personalization: unknown, index) => {
    const base = `personalizations.${index}`;
    if (!isObject(personalization)) {
      c.add(base, 'Invalid type. Expected: object.');
      allHaveSubject = false;
      return;
    }
    if (typeof personalization.subject !== 'string' || personalization.subject === '') {
      allHaveSubject = false;
    }
    const seen = new Set<string>();
    if (!Array.isArray(personalization.to) || personalization.to.length === 0) {
      c.add(
        `${base}.to`,
        'The to array is required for all personalization objects, and must have at least one email object with a valid email address.',
      );
    }
    for (const kind of ['to', 'cc', 'bcc'] as const) {
      const list = personalization[kind];
      if (list === undefined) {
        continue;
      }
      if (!Array.isArray(list)) {
        c.add(`${base}.${kind}`, 'Invalid type. Expected: array.');
        continue;
      }
      list.forEach((address: unknown, position) => {
        recipients += 1;
        const email = checkAddress(c, address, `${base}.${kind}.${position}`, kind);
        if (email !== null && seen.has(email)) {
          c.add(
            `${base}.${kind}`,
            `Each email address in the personalization block should be unique between to, cc, and bcc. We found the first duplicate instance of [${email}] in the personalizations.${index}.${kind} field.`,
          );
        }
        if (email !== null) {
          seen.add(email);
        }
      });
    }
    checkHeaders(c, personalization.headers, `${base}.headers`);
    checkStringMap(c, personalization.custom_args, `${base}.custom_args`);
  });
  if (recipients > MAX_RECIPIENTS) {
    c.add(
      'personalizations',
      'There is a limit of 1000 total recipients (to + cc + bcc) per request.',
    );
  }
  return { allHaveSubject };
}

function checkContent(c: Collector, value: unknown, required: boolean): void {
  if (value === undefined) {
    if (required) {
      c.add(
        'content',
        'Unless a valid template_id is provided, the content parameter is required. There must be at least one defined content block. We typically suggest both text/plain and text/html blocks are included, but only one block is required.',
      );
    }
    return;
  }
  if (!Array.isArray(value) || value.length === 0) {
    c.add('content', 'The content parameter must be an array with at least one content block.');
    return;
  }
  const types = value.map((block: unknown, index) => {
    if (!isObject(block) || typeof block.type !== 'string' || block.type === '') {
      c.add(
        `content.${index}.type`,
        'The content type must be a string at least one character in length.',
      );
      return '';
    }
    if (/[;\r\n]/.test(block.type)) {
      c.add(`content.${index}.type`, 'The content type cannot contain ";", or CRLF characters.');
    }
    if (typeof block.value !== 'string' || block.value.length === 0) {
      c.add(
        `content.${index}.value`,
        'The content value must be a string at least one character in length.',
      );
    }
    return block.type.toLowerCase();
  });
  for (const unique of ['text/plain', 'text/html']) {
    if (types.filter((type) => type === unique).length > 1) {
      c.add('content', 'If present, text/plain and text/html may only be provided once.');
    }
  }
  const plain = types.indexOf('text/plain');
  const html = types.indexOf('text/html');
  const firstOther = types.findIndex((type) => type !== 'text/plain' && type !== 'text/html');
  if (
    plain > 0 ||
    (html >= 0 && plain > html) ||
    (firstOther >= 0 && (plain > firstOther || html > firstOther))
  ) {
    c.add(
      'content',
      'The text/plain content type must be first, followed by text/html, followed by any other content.',
    );
  }
}

function checkAttachments(c: Collector, value: unknown): void {
  if (value === undefined) {
    return;
  }
  if (!Array.isArray(value)) {
    c.add('attachments', 'Invalid type. Expected: array.');
    return;
  }
  value.forEach((attachment: unknown, index) => {
    const base = `attachments.${index}`;
    if (!isObject(attachment)) {
      c.add(base, 'Invalid type. Expected: object.');
      return;
    }
    const content = attachment.content;
    if (typeof content !== 'string' || content.length === 0) {
      c.add(`${base}.content`, 'The attachment content is required.');
    } else if (content.length % 4 !== 0 || !BASE64_RE.test(content)) {
      c.add(`${base}.content`, 'The attachment content must be base64 encoded.');
    }
    if (typeof attachment.filename !== 'string' || attachment.filename === '') {
      c.add(`${base}.filename`, 'The attachment filename parameter is required.');
    }
    if (
      attachment.type !== undefined &&
      (typeof attachment.type !== 'string' || /[;\r\n]/.test(attachment.type))
    ) {
      c.add(`${base}.type`, 'The attachment type cannot contain ";", or CRLF characters.');
    }
    const disposition = attachment.disposition ?? 'attachment';
    if (disposition !== 'attachment' && disposition !== 'inline') {
      c.add(
        `${base}.disposition`,
        'The disposition of your attachment can be either "inline" or "attachment".',
      );
    }
    if (
      disposition === 'inline' &&
      (typeof attachment.content_id !== 'string' || attachment.content_id === '')
    ) {
      c.add(
        `${base}.content_id`,
        'The content_id parameter is required if the disposition is set to "inline".',
      );
    }
  });
}

/** Returns every violation of the v3 mail send contract in `body`; empty means SendGrid would accept it. */
export function validateMailSendBody(body: unknown): SendGridApiError[] {
  const c = new Collector();
  if (!isObject(body)) {
    c.add(null, 'Bad Request');
    return c.errors;
  }
  const usesTemplate = typeof body.template_id === 'string' && body.template_id !== '';
  const { allHaveSubject } = checkPersonalizations(c, body.personalizations);

  if (body.from === undefined) {
    c.add(
      'from',
      'The from object must be provided for every email send. It is an object that requires the email parameter, but may also contain a name parameter.',
    );
  } else {
    checkAddress(c, body.from, 'from', 'from');
  }
  if (body.reply_to !== undefined) {
    checkAddress(c, body.reply_to, 'reply_to', 'reply_to');
  }
  if (body.subject !== undefined && typeof body.subject !== 'string') {
    c.add('subject', `Invalid type. Expected: string, given: ${typeof body.subject}.`);
  } else if (
    (body.subject === undefined || body.subject === '') &&
    !usesTemplate &&
    !allHaveSubject
  ) {
    c.add(
      'subject',
      'The subject is required. You can get around this requirement if you use a template with a subject defined or if every personalization has a subject defined.',
    );
  }
  checkContent(c, body.content, !usesTemplate);
  checkAttachments(c, body.attachments);
  checkHeaders(c, body.headers, 'headers');
  const customArgs = checkStringMap(c, body.custom_args, 'custom_args');
  if (
    customArgs !== null &&
    Buffer.byteLength(JSON.stringify(customArgs)) > MAX_CUSTOM_ARGS_BYTES
  ) {
    c.add('custom_args', 'The custom_args parameter is limited to 10,000 bytes.');
  }
  return c.errors;
}
