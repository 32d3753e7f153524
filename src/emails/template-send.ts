import type { FieldError } from '../common/app.exception';
import type { EmailTemplatesService } from '../templates/email-templates.service';
import { validateTemplateRequest } from '../templates/template-request';
import type { ValidatedEmail } from './email-request.validator';

type Validation = { value?: ValidatedEmail; errors: FieldError[] };

/** What the template replaces; giving both is refused. */
const TEMPLATE_REPLACES = ['subject', 'text', 'html'] as const;
/** Stands in for the rendered subject and text while the rest of the request is validated. */
const PLACEHOLDER = 'template';
const MAX_SUBJECT = 998;

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Send by template (`template: { type, data, locale? }` in place of subject/text/html): the rest
 * of the request goes through `validate` as usual, then the template is rendered now, at accept
 * time, so the stored message is exactly what is sent and what the API shows. The template's
 * sender becomes the From display name unless `from` is given; codes, passwords and one-time
 * links make the message sensitive unless the request says `sensitive: false`.
 */
export async function validateWithTemplate(
  templates: EmailTemplatesService,
  tenantId: string,
  body: unknown,
  prefix: string,
  validate: (body: unknown, prefix: string) => Validation,
): Promise<Validation> {
  if (!isPlainObject(body) || body.template === undefined) {
    return validate(body, prefix);
  }
  const p = (field: string): string => (prefix === '' ? field : `${prefix}.${field}`);
  const { template, ...rest } = body;
  const errors: FieldError[] = TEMPLATE_REPLACES.filter((f) => rest[f] !== undefined).map((f) => ({
    field: p(f),
    messages: ['cannot be given with template (the template renders subject, text and html)'],
  }));
  const request = validateTemplateRequest(template, p('template'));
  errors.push(...request.errors);
  const others = validate(
    { ...rest, subject: PLACEHOLDER, text: PLACEHOLDER, html: undefined },
    prefix,
  );
  errors.push(...others.errors);
  if (errors.length > 0 || others.value === undefined || request.value === undefined) {
    return { errors };
  }
  const email = others.value;
  const rendered = await templates.renderForSend(
    tenantId,
    request.value,
    email.payload.to[0].email,
    p('template'),
  );
  if (rendered.value === undefined) {
    return { errors: rendered.errors };
  }
  const r = rendered.value;
  if (r.subject === '' || r.subject.length > MAX_SUBJECT) {
    return {
      errors: [
        {
          field: p('template'),
          messages: [`renders a subject of ${r.subject.length} characters (1-${MAX_SUBJECT})`],
        },
      ],
    };
  }
  const payload = { ...email.payload, subject: r.subject, text: r.text, html: r.html };
  if (payload.from === undefined && r.sender !== '') {
    payload.fromName = r.sender;
  }
  return {
    value: {
      ...email,
      payload,
      sensitive: rest.sensitive === undefined ? r.sensitive : email.sensitive,
      sizeBytes:
        email.sizeBytes -
        2 * Buffer.byteLength(PLACEHOLDER) +
        Buffer.byteLength(r.subject) +
        Buffer.byteLength(r.text) +
        Buffer.byteLength(r.html) +
        Buffer.byteLength(payload.fromName ?? ''),
    },
    errors: [],
  };
}
