import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import Ajv2020, { type ErrorObject } from 'ajv/dist/2020';
import addFormats from 'ajv-formats';

/**
 * Validation of a `POST /v3/mail/send` body, the one module every SendGrid-compatible server of
 * the tests (and the bench's sink) uses:
 * 1. SendGrid's published request schema (`../shared/sendgrid/mail-send.schema.json`, taken from
 *    twilio/sendgrid-oai), compiled with ajv as JSON Schema 2020-12, with its one known defect
 *    corrected (see `loadMailSendSchema`);
 * 2. the rules SendGrid's API enforces but the schema does not encode (its documented 400s):
 *    https://www.twilio.com/docs/sendgrid/api-reference/mail-send/mail-send and
 *    https://www.twilio.com/docs/sendgrid/api-reference/mail-send/errors
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

/** The rules SendGrid enforces beyond its schema. */
function checkApiRules(body: unknown): SendGridApiError[] {
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

/** The repository's root: the nearest folder above with a package.json (from test/ or dist/test/). */
function repositoryRoot(): string {
  for (let dir = __dirname; dir !== dirname(dir); dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) {
      return dir;
    }
  }
  throw new Error(`no package.json above ${__dirname}`);
}

/** SendGrid's schema, in `../shared` beside the repository (the project's design folder). */
export const MAIL_SEND_SCHEMA_PATH = resolve(
  repositoryRoot(),
  '..',
  'shared',
  'sendgrid',
  'mail-send.schema.json',
);

type JsonSchema = Record<string, unknown> & { properties: Record<string, Record<string, unknown>> };

/**
 * SendGrid's schema with its one known defect corrected. The schema types top-level
 * `custom_args` as `string`, but the API takes (and @sendgrid/mail sends, and mailgate relies on
 * for `custom_args.mailgate_id`) an object of string values, as inside `personalizations[]`:
 * ../shared/sendgrid/README.md, and the API reference's example
 * (https://www.twilio.com/docs/sendgrid/api-reference/mail-send/mail-send). Validating against the
 * schema as published would refuse every body mailgate sends, so that one property is replaced
 * by what the API accepts. If a newer copy of the schema no longer says `string`, this throws, so
 * the correction is reviewed instead of silently overriding a fixed schema.
 */
export function loadMailSendSchema(path = MAIL_SEND_SCHEMA_PATH): JsonSchema {
  const schema = JSON.parse(readFileSync(path, 'utf8')) as JsonSchema;
  const customArgs = schema.properties.custom_args;
  if (customArgs?.type !== 'string') {
    throw new Error(
      `${path}: top-level custom_args is no longer typed "string"; review the correction in mail-send-validation.ts`,
    );
  }
  schema.properties.custom_args = {
    ...customArgs,
    type: 'object',
    additionalProperties: { type: 'string' },
  };
  return schema;
}

let compiled: ((body: unknown) => SendGridApiError[]) | undefined;

/** The compiled schema check; ajv compiles once per process (the sinks validate thousands a second). */
function schemaCheck(): (body: unknown) => SendGridApiError[] {
  if (compiled === undefined) {
    // allErrors: SendGrid names every failing field, so does the test server.
    const ajv = new Ajv2020({ allErrors: true, strict: true });
    // `format: email` is asserted, as SendGrid does; ajv-formats supplies it.
    addFormats(ajv, ['email']);
    const validate = ajv.compile(loadMailSendSchema());
    compiled = (body) => (validate(body) ? [] : (validate.errors ?? []).map(toApiError));
  }
  return compiled;
}

/** An ajv error in SendGrid's `{ field, message, help }` shape; `field` as SendGrid writes it (`personalizations.0.to`). */
function toApiError(error: ErrorObject): SendGridApiError {
  const segments = error.instancePath
    .split('/')
    .slice(1)
    .map((segment) => segment.replace(/~1/g, '/').replace(/~0/g, '~'));
  if (error.keyword === 'required') {
    segments.push((error.params as { missingProperty: string }).missingProperty);
  }
  const field = segments.length === 0 ? null : segments.join('.');
  return {
    field,
    message: `${field ?? 'The request body'} ${error.message ?? 'is invalid'} (schema ${error.schemaPath})`,
    help: field === null ? null : `${HELP_BASE}${field.replace(/\.\d+/g, '')}`,
  };
}

/**
 * Every violation of the v3 mail send contract in `body`, schema first; empty means SendGrid
 * would accept it.
 */
export function validateMailSendBody(body: unknown): SendGridApiError[] {
  return [...schemaCheck()(body), ...checkApiRules(body)];
}
