import type { FieldError } from '../common/app.exception';
import {
  DEFAULT_TEMPLATE_LOCALE,
  EMAIL_TEMPLATE_TYPES,
  isEmailTemplateType,
  TEMPLATE_LOCALES,
  type EmailTemplateType,
  type TemplateLocale,
} from './email-template-type.enum';
import type { TemplateValue } from './template-engine';
import { MAX_DATA_KEYS, MAX_DATA_VALUE_CHARS, TEMPLATE_VARIABLES } from './templates.constants';

/** `template` of a send request, validated. */
export interface TemplateRequest {
  type: EmailTemplateType;
  data: Record<string, TemplateValue>;
  locale: TemplateLocale;
}

const FIELDS = new Set(['type', 'data', 'locale']);

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Validates `template: { type, data, locale? }` at `path` (e.g. `template`, `messages.3.template`).
 * Data keys must be variables of the type (so `__proto__`, `constructor` and typos are refused by
 * name) and values strings, numbers or booleans: nothing a template could walk into.
 */
export function validateTemplateRequest(
  value: unknown,
  path: string,
): { value?: TemplateRequest; errors: FieldError[] } {
  const errors: FieldError[] = [];
  const add = (field: string, message: string): void => {
    errors.push({ field, messages: [message] });
  };
  if (!isPlainObject(value)) {
    add(path, 'must be an object { type, data, locale? }');
    return { errors };
  }
  for (const key of Object.keys(value)) {
    if (!FIELDS.has(key)) {
      add(`${path}.${key}`, 'is not a known field');
    }
  }
  const { type, data, locale } = value;
  if (!isEmailTemplateType(type)) {
    add(`${path}.type`, `must be one of: ${EMAIL_TEMPLATE_TYPES.join(', ')}`);
  }
  if (locale !== undefined && !(TEMPLATE_LOCALES as readonly unknown[]).includes(locale)) {
    add(`${path}.locale`, `must be one of: ${TEMPLATE_LOCALES.join(', ')}`);
  }
  const values: Record<string, TemplateValue> = {};
  if (data !== undefined && !isPlainObject(data)) {
    add(`${path}.data`, 'must be an object of variable name to string, number or boolean');
  } else if (data !== undefined) {
    const keys = Object.keys(data);
    if (keys.length > MAX_DATA_KEYS) {
      add(`${path}.data`, `must have at most ${MAX_DATA_KEYS} keys`);
    }
    const allowed = isEmailTemplateType(type) ? TEMPLATE_VARIABLES[type] : null;
    for (const key of keys) {
      const v = data[key];
      if (allowed !== null && !allowed.includes(key)) {
        add(
          `${path}.data.${key}`,
          `is not a variable of ${String(type)} (it has ${allowed.join(', ')})`,
        );
      } else if (typeof v === 'string') {
        if (v.length > MAX_DATA_VALUE_CHARS) {
          add(`${path}.data.${key}`, `must be at most ${MAX_DATA_VALUE_CHARS} characters`);
        } else {
          values[key] = v;
        }
      } else if ((typeof v === 'number' && Number.isFinite(v)) || typeof v === 'boolean') {
        values[key] = v;
      } else {
        add(`${path}.data.${key}`, 'must be a string, number or boolean');
      }
    }
  }
  if (errors.length > 0) {
    return { errors };
  }
  return {
    value: {
      type: type as EmailTemplateType,
      data: values,
      locale: (locale as TemplateLocale | undefined) ?? DEFAULT_TEMPLATE_LOCALE,
    },
    errors,
  };
}
