import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import {
  MAX_ADDRESS_OCTETS,
  MAX_DISPLAY_NAME,
  NO_LINE_BREAK_PATTERN,
  parseMailbox,
} from '../common/addresses';
import type { FieldError } from '../common/app.exception';
import { TEMPLATE_API_SCHEMAS } from '../templates/templates.api-schemas';

/**
 * The send request's contract, written once: this JSON Schema (OpenAPI 3.0 dialect) is compiled
 * by ajv to validate `/v1/emails` and every item of `/v1/emails/batch`, and is the `EmailRequest`
 * of the OpenAPI document. Each node's `x-message` is the message a failing keyword of that node
 * reports (a string, or one per keyword); `x-field` names the field of a rule over several
 * fields. What JSON Schema cannot say stays in code (email-request.validator.ts): the total of
 * recipients, the metadata's size as JSON, and address syntax, which the address module owns and
 * the schema names as the formats `mailbox` and `mailbox-address`.
 */

/** A JSON Schema node with this dialect's `x-` annotations (OpenAPI's types do not know them). */
export type JsonSchema = { [keyword: string]: unknown };

export const MAX_RECIPIENTS = 50;
const MAX_ATTACHMENTS = 100;
export const MAX_SUBJECT = 998;
const MAX_TAGS = 20;
const MAX_METADATA_KEYS = 50;
export const MAX_METADATA_BYTES = 8 * 1024;
const MAX_FILENAME = 255;
const MAX_CID = 250;
const MAX_TAG = 100;
const MAX_METADATA_KEY = 100;
const MAX_HEADER_NAME = 76;
const MAX_HEADER_VALUE = 998;

/** Keys that could reach an object's prototype chain if ever merged. */
const FORBIDDEN_KEYS = ['__proto__', 'constructor', 'prototype'];
/** Custom headers a caller may set; the rest (From, To, Message-ID, …) belong to the gateway. */
const ALLOWED_HEADERS = [
  'List-Unsubscribe',
  'List-Unsubscribe-Post',
  'List-Id',
  'In-Reply-To',
  'References',
  'Auto-Submitted',
  'Precedence',
  'X-Priority',
  'Importance',
];
/** X-* headers of the gateway and of SendGrid's API: a caller setting them could steer either. */
const RESERVED_X_PREFIXES = ['Mailgate', 'SG', 'SMTPAPI'];

/** JSON Schema patterns have no flags: header names match case-insensitively letter by letter. */
function caseless(text: string): string {
  return text.replace(/[a-z]/gi, (c) => `[${c.toUpperCase()}${c.toLowerCase()}]`);
}
const HEADER_NAME_PATTERN = '^[!-9;-~]+$';
const ALLOWED_HEADER_PATTERN = `^(?:${ALLOWED_HEADERS.map(caseless).join('|')}|${caseless('x-')}(?!${RESERVED_X_PREFIXES.map(caseless).join('|')}).*)$`;
const ALLOWED_HEADER_RE = new RegExp(ALLOWED_HEADER_PATTERN, 'u');
const ALLOWED_HEADERS_TEXT = `X-* (except ${RESERVED_X_PREFIXES.map((p) => `X-${p}*`).join(', ')}) and ${ALLOWED_HEADERS.filter((h) => !/^x-/i.test(h)).join(', ')}`;

const BASE64_PATTERN = '^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$';
const CONTENT_TYPE_PATTERN =
  '^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}$';
const TAG_PATTERN = `^[A-Za-z0-9_.:-]{1,${MAX_TAG}}$`;
const CID_PATTERN = `^[A-Za-z0-9!#$%&'*+/=?^_\`{|}~.@-]{1,${MAX_CID}}$`;
/** Not blank, no CR, LF or NUL. */
const SUBJECT_PATTERN = `(?=.*\\S)${NO_LINE_BREAK_PATTERN}`;

/** Whether a caller may set this header (X-* but the reserved ones, and the list above). */
export function isAllowedHeader(name: string): boolean {
  return ALLOWED_HEADER_RE.test(name);
}

const ADDRESS_MESSAGE = 'must be an email address, "Name <address>" or { name, email }';
const DISPLAY_NAME_MESSAGE = `must be at most ${MAX_DISPLAY_NAME} characters without CR, LF or NUL`;

const mailboxString: JsonSchema = {
  type: 'string',
  format: 'mailbox',
  description: `\`addr\`, \`Name <addr>\` or \`"Quoted, Name" <addr>\`; IDN domains in Unicode or punycode (sent as punycode); UTF-8 local parts need a server with SMTPUTF8. One address; no groups, CR, LF or NUL; the address at most ${MAX_ADDRESS_OCTETS} octets.`,
  example: 'Ada Lovelace <ada@example.com>',
};
const mailboxObject: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['email'],
  properties: {
    name: {
      type: 'string',
      maxLength: MAX_DISPLAY_NAME,
      pattern: NO_LINE_BREAK_PATTERN,
      description: 'Display name (any UTF-8; RFC 2047-encoded in headers).',
      'x-message': { type: 'must be a string', default: DISPLAY_NAME_MESSAGE },
    },
    email: {
      type: 'string',
      format: 'mailbox-address',
      description: `A bare address; IDN domains in Unicode or punycode; at most ${MAX_ADDRESS_OCTETS} octets.`,
      'x-message': 'must be an email address',
    },
  },
};

/** One mailbox in either form. */
export const EMAIL_ADDRESS_SCHEMA: JsonSchema = {
  oneOf: [mailboxString, mailboxObject],
  'x-message': ADDRESS_MESSAGE,
};

/** `to` (at least one) or `cc`/`bcc`: one mailbox or a list. */
function recipients(required: boolean): JsonSchema {
  const tooMany = `at most ${MAX_RECIPIENTS} recipients in to, cc and bcc together`;
  return {
    oneOf: [
      mailboxString,
      mailboxObject,
      {
        type: 'array',
        minItems: required ? 1 : 0,
        maxItems: MAX_RECIPIENTS,
        items: EMAIL_ADDRESS_SCHEMA,
        'x-message': { minItems: 'is required: at least one recipient', maxItems: tooMany },
      },
    ],
    'x-message': { required: 'is required: at least one recipient', default: ADDRESS_MESSAGE },
  };
}

const { EmailTemplateRequest } = TEMPLATE_API_SCHEMAS;

export const EMAIL_REQUEST_SCHEMA: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  description: `One message. At most ${MAX_RECIPIENTS} recipients in to, cc and bcc together; subject and text or html are required, or a template instead of all three; the rendered size counts against MAX_MESSAGE_BYTES.`,
  required: ['to'],
  properties: {
    from: {
      ...EMAIL_ADDRESS_SCHEMA,
      description:
        "Defaults to the provider's sender when it is an address (or BUILTIN_MAIL_FROM); required when the SMTP login is not an address.",
    },
    to: recipients(true),
    cc: recipients(false),
    bcc: recipients(false),
    replyTo: EMAIL_ADDRESS_SCHEMA,
    subject: {
      type: 'string',
      minLength: 1,
      maxLength: MAX_SUBJECT,
      pattern: SUBJECT_PATTERN,
      description: 'Not blank; no CR/LF/NUL.',
      'x-message': {
        minLength: 'is required',
        type: 'must be a string',
        default: `must be at most ${MAX_SUBJECT} characters without CR, LF or NUL`,
      },
    },
    text: { type: 'string', nullable: true, 'x-message': 'must be a string' },
    html: { type: 'string', nullable: true, 'x-message': 'must be a string' },
    template: EmailTemplateRequest,
    attachments: {
      type: 'array',
      maxItems: MAX_ATTACHMENTS,
      'x-message': { type: 'must be an array', maxItems: `at most ${MAX_ATTACHMENTS} attachments` },
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['filename', 'content'],
        'x-message': { type: 'must be an object { filename, content, contentType?, cid? }' },
        properties: {
          filename: {
            type: 'string',
            minLength: 1,
            maxLength: MAX_FILENAME,
            pattern: NO_LINE_BREAK_PATTERN,
            'x-message': `must be a file name of 1-${MAX_FILENAME} characters without CR, LF or NUL`,
          },
          content: {
            type: 'string',
            pattern: BASE64_PATTERN,
            description: 'Base64.',
            'x-message': 'must be base64',
          },
          contentType: {
            type: 'string',
            pattern: CONTENT_TYPE_PATTERN,
            example: 'application/pdf',
            'x-message': 'must be a MIME type like application/pdf',
          },
          cid: {
            type: 'string',
            pattern: CID_PATTERN,
            description: 'Content-ID for inline images.',
            'x-message': `must be a Content-ID of 1-${MAX_CID} safe characters`,
          },
        },
      },
    },
    headers: {
      type: 'object',
      description: `${ALLOWED_HEADERS_TEXT}. Names are case-insensitive.`,
      'x-message': { type: 'must be an object of header name to value' },
      'x-propertyNames': {
        allOf: [
          {
            maxLength: MAX_HEADER_NAME,
            pattern: HEADER_NAME_PATTERN,
            'x-message': 'is not a valid header name',
          },
          {
            pattern: ALLOWED_HEADER_PATTERN,
            'x-message': `is not an allowed header (${ALLOWED_HEADERS_TEXT})`,
          },
        ],
      },
      additionalProperties: {
        type: 'string',
        maxLength: MAX_HEADER_VALUE,
        pattern: NO_LINE_BREAK_PATTERN,
        'x-message': `must be a string of at most ${MAX_HEADER_VALUE} characters without CR, LF or NUL`,
      },
    },
    tags: {
      type: 'array',
      maxItems: MAX_TAGS,
      'x-message': `must be an array of at most ${MAX_TAGS} tags`,
      items: {
        type: 'string',
        pattern: TAG_PATTERN,
        'x-message': `must be 1-${MAX_TAG} characters of A-Z a-z 0-9 _ . : -`,
      },
    },
    metadata: {
      type: 'object',
      maxProperties: MAX_METADATA_KEYS,
      description: `At most ${MAX_METADATA_BYTES / 1024} KiB as JSON; returned with the message, never sent.`,
      'x-message': `must be an object of at most ${MAX_METADATA_KEYS} keys`,
      'x-propertyNames': {
        minLength: 1,
        maxLength: MAX_METADATA_KEY,
        not: { enum: FORBIDDEN_KEYS },
        'x-message': 'is not an allowed key',
      },
      additionalProperties: {
        oneOf: [{ type: 'string' }, { type: 'number' }, { type: 'boolean' }],
        'x-message': 'must be a string, number or boolean',
      },
    },
    // Default in the description, not `default`: openapi-typescript makes a property with a default required.
    sensitive: {
      type: 'boolean',
      description:
        'Default false (true for a template of codes, passwords or links). Verification codes, reset or invitation links: subject, bodies, attachments and headers are encrypted at rest, never shown by the API, and deleted as soon as the message is sent or failed.',
      'x-message': 'must be true or false',
    },
  },
  // Rules over several fields; each names one field.
  allOf: [
    {
      anyOf: [{ required: ['subject'] }, { required: ['template'] }],
      'x-field': 'subject',
      'x-message': 'is required',
    },
    {
      anyOf: [
        { required: ['text'], properties: { text: { type: 'string', minLength: 1 } } },
        { required: ['html'], properties: { html: { type: 'string', minLength: 1 } } },
        { required: ['template'] },
      ],
      'x-field': 'text',
      'x-message': 'text or html is required (the body is empty)',
    },
    {
      not: {
        type: 'object',
        required: ['template'],
        anyOf: [{ required: ['subject'] }, { required: ['text'] }, { required: ['html'] }],
      },
      'x-field': 'template',
      'x-message': 'cannot be given with subject, text or html (the template renders them)',
    },
  ],
  'x-message': { type: 'must be a JSON object' },
  example: {
    to: [{ name: 'Ada Lovelace', email: 'ada@example.com' }],
    subject: 'Your sign-in code',
    text: 'Your code is 123456',
    html: '<p>Your code is <b>123456</b></p>',
    tags: ['sign-in'],
  },
};

/**
 * ajv for this dialect: OpenAPI's `nullable` and `example`, the `x-` annotations, and
 * `x-propertyNames` (OpenAPI 3.0 has no `propertyNames`; the document carries it as an extension
 * and ajv reads it as the JSON Schema keyword). `checkAddresses`: whether the address formats
 * are checked here (a plain reading of the document) or left to the validator's second stage,
 * which parses every address anyway to normalise it.
 */
export function createRequestAjv(checkAddresses: boolean): Ajv {
  const ajv = new Ajv({
    allErrors: true,
    verbose: true,
    strict: true,
    strictRequired: false,
    strictTypes: false,
    formats: {
      mailbox: checkAddresses ? (s: string) => parseMailbox(s).ok : true,
      'mailbox-address': checkAddresses ? (s: string) => parseMailbox({ email: s }).ok : true,
    },
  });
  for (const keyword of ['example', 'x-message', 'x-field']) {
    ajv.addKeyword(keyword);
  }
  ajv.addKeyword({
    keyword: 'x-propertyNames',
    macro: (schema: object) => ({ propertyNames: schema }),
  });
  return ajv;
}

let compiled: ValidateFunction | undefined;
/** The compiled send request schema (compiled once, on first use). */
export function emailRequestValidator(): ValidateFunction {
  compiled ??= createRequestAjv(false).compile(EMAIL_REQUEST_SCHEMA);
  return compiled;
}

type Messages = string | Record<string, string> | undefined;

function messageOf(schema: unknown, keyword: string): string | undefined {
  if (typeof schema !== 'object' || schema === null) {
    return undefined;
  }
  const m = (schema as { 'x-message'?: Messages })['x-message'];
  return typeof m === 'string' ? m : (m?.[keyword] ?? m?.default);
}

/** `/to/0/name` → `to.0.name` (RFC 6901 unescaped). */
function dotted(pointer: string, prefix: string, ...more: string[]): string {
  const parts = pointer === '' ? [] : pointer.slice(1).split('/');
  const path = [
    ...(prefix === '' ? [] : [prefix]),
    ...parts.map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~')),
    ...more,
  ];
  return path.length === 0 ? 'body' : path.join('.');
}

const COMBINATORS = new Set(['anyOf', 'oneOf']);

/**
 * ajv's errors as field errors. A failed `oneOf`/`anyOf` whose branches differ by type reports
 * the branch of the value's type (a long `to.0.name`, not "matches no schema"); when no branch has
 * the value's type, or the node is a rule (`x-field`), it reports its own message.
 */
export function fieldErrorsOf(errors: ErrorObject[], prefix: string): FieldError[] {
  const hidden: string[] = [];
  const reported = new Set<ErrorObject>();
  for (const c of errors) {
    if (!COMBINATORS.has(c.keyword)) {
      continue;
    }
    const parent = c.parentSchema as Record<string, unknown>;
    const branches = (parent[c.keyword] as unknown[]).length;
    const mismatched = Array.from({ length: branches }, (_, i) => i).filter((i) =>
      errors.some(
        (e) =>
          e.keyword === 'type' &&
          e.instancePath === c.instancePath &&
          e.schemaPath === `${c.schemaPath}/${i}/type`,
      ),
    );
    if (parent['x-field'] !== undefined || mismatched.length === branches) {
      hidden.push(`${c.schemaPath}/`);
      reported.add(c);
    } else {
      hidden.push(...mismatched.map((i) => `${c.schemaPath}/${i}/`));
    }
  }
  const out: FieldError[] = [];
  const add = (field: string, message: string): void => {
    const existing = out.find((e) => e.field === field);
    if (existing === undefined) {
      out.push({ field, messages: [message] });
    } else if (!existing.messages.includes(message)) {
      existing.messages.push(message);
    }
  };
  for (const e of errors) {
    if (hidden.some((h) => e.schemaPath.startsWith(h))) {
      continue;
    }
    const parent = e.parentSchema;
    const xField = parent?.['x-field'] as string | undefined;
    const path = (...more: string[]): string =>
      dotted(e.instancePath, prefix, ...(xField === undefined ? more : [xField]));
    if (COMBINATORS.has(e.keyword)) {
      if (reported.has(e)) {
        add(path(), messageOf(parent, e.keyword) ?? e.message ?? 'is not valid');
      }
    } else if (e.keyword === 'additionalProperties') {
      add(path(String(e.params.additionalProperty)), 'is not a known field');
    } else if (e.keyword === 'required') {
      const missing = String(e.params.missingProperty);
      const property = (parent?.properties as Record<string, unknown> | undefined)?.[missing];
      add(path(missing), messageOf(property, 'required') ?? 'is required');
    } else if (e.keyword === 'propertyNames' || e.keyword === 'x-propertyNames') {
      // Reported by the failing keyword inside, which carries the property name.
    } else if (e.propertyName !== undefined) {
      add(path(e.propertyName), messageOf(parent, e.keyword) ?? 'is not an allowed name');
    } else {
      add(path(), messageOf(parent, e.keyword) ?? e.message ?? 'is not valid');
    }
  }
  return out;
}
