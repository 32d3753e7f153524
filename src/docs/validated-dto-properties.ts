import type { Type } from '@nestjs/common';
import { ApiProperty, DECORATORS, type ApiPropertyOptions } from '@nestjs/swagger';
import { getMetadataStorage, type MetadataStorage } from 'class-validator';

/**
 * Derives @ApiProperty metadata from the class-validator decorators the DTOs already carry, so the
 * OpenAPI schemas are the validation rules themselves and DTO files stay free of duplicate
 * swagger decorators. A property that already has @ApiProperty keeps its own.
 */

type Constructor = Type<unknown>;
type ValidationMetadata = ReturnType<MetadataStorage['getTargetValidationMetadatas']>[number];

const described = new WeakSet<Constructor>();

/** True for classes with class-validator rules (DTOs), false for String, Object, … */
export function isValidatedClass(value: unknown): value is Constructor {
  return (
    typeof value === 'function' &&
    getMetadataStorage().getTargetValidationMetadatas(value, '', true, false).length > 0
  );
}

/** Name of a rule: built-ins carry it, registerDecorator() ones through their constraint class. */
function ruleName(meta: ValidationMetadata): string | undefined {
  if (meta.name !== undefined) {
    return meta.name;
  }
  if (meta.constraintCls !== undefined) {
    return getMetadataStorage().getTargetValidatorConstraints(meta.constraintCls)[0]?.name;
  }
  return undefined;
}

function designType(target: Constructor, property: string): unknown {
  return Reflect.getMetadata('design:type', target.prototype as object, property);
}

function primitiveOf(type: unknown): string | undefined {
  switch (type) {
    case String:
      return 'string';
    case Number:
      return 'number';
    case Boolean:
      return 'boolean';
    case Array:
      return 'array';
    default:
      return undefined;
  }
}

function defaults(target: Constructor): Record<string, unknown> {
  try {
    return { ...(new target() as Record<string, unknown>) };
  } catch {
    // A DTO whose constructor needs arguments simply documents no defaults.
    return {};
  }
}

export function propertyOptions(
  target: Constructor,
  property: string,
  rules: ValidationMetadata[],
  defaultValue: unknown,
): ApiPropertyOptions | undefined {
  const options: Record<string, unknown> = { required: true };
  const notes: string[] = [];
  let nested: Constructor | undefined;
  let meaningful = false;
  const design = designType(target, property);
  for (const rule of rules) {
    const type = rule.type;
    const constraints = (rule.constraints ?? []) as unknown[];
    if (type === 'conditionalValidation') {
      options.required = false;
      continue;
    }
    if (type === 'whitelistValidation') {
      continue;
    }
    meaningful = true;
    if (type === 'isDefined') {
      const message = typeof rule.message === 'string' ? rule.message : '';
      if (/^\$property is required when/.test(message)) {
        notes.push(message.replace('$property', property));
      }
      continue;
    }
    if (type === 'nestedValidation') {
      nested = isValidatedClass(design) ? design : nested;
      continue;
    }
    switch (ruleName(rule) ?? '') {
      case 'isIn':
        options.enum = [...(constraints[0] as unknown[])];
        options.isArray = rule.each === true || design === Array;
        break;
      case 'isInt':
        options.type = 'integer';
        break;
      case 'isNumber':
        options.type ??= 'number';
        break;
      case 'isBoolean':
        options.type = 'boolean';
        break;
      case 'isString':
        options.type = 'string';
        break;
      case 'isEmail':
        options.type = 'string';
        options.format = 'email';
        break;
      case 'isMailbox':
        options.type = 'string';
        notes.push(
          'An email address; IDN domains in Unicode or punycode. Where a name is allowed also `Name <address>`.',
        );
        break;
      case 'isSmtpLogin':
        options.type = 'string';
        options.maxLength = 256;
        notes.push(
          'The SMTP login (any string without CR, LF or NUL, e.g. `apikey` or an access key id); absent or empty: no AUTH. When it is an address it is also the default From.',
        );
        break;
      case 'isHostnameOrIp':
        options.type = 'string';
        options.format = 'hostname';
        notes.push('A host name or an IPv4/IPv6 address.');
        break;
      case 'isNotEmpty':
        if (design === String) {
          options.minLength = 1;
        }
        break;
      case 'min':
        options.minimum = constraints[0];
        break;
      case 'max':
        options.maximum = constraints[0];
        break;
      case 'minLength':
        options.minLength = constraints[0];
        break;
      case 'maxLength':
        options.maxLength = constraints[0];
        break;
      case 'matches':
        options.type = 'string';
        options.pattern = (constraints[0] as RegExp).source;
        break;
      case 'isArray':
        options.isArray = true;
        break;
      case 'arrayNotEmpty':
        options.minItems = 1;
        break;
      case 'isObject':
        options.type ??= 'object';
        break;
      default:
        break;
    }
  }
  // @Allow()-only fields are accepted and ignored: not part of the contract.
  if (!meaningful) {
    return undefined;
  }
  if (nested !== undefined) {
    // The class itself, not a thunk: swagger only takes a thunk for one named `type`.
    options.type = nested;
  } else if (options.type === undefined && options.enum === undefined) {
    const primitive = primitiveOf(design);
    if (primitive === 'array') {
      options.isArray = true;
    } else if (primitive !== undefined) {
      options.type = primitive;
    }
  }
  if (options.isArray === true && options.type === undefined && options.enum === undefined) {
    options.type = 'string';
  }
  if (defaultValue !== undefined) {
    options.default = defaultValue;
  }
  if (notes.length > 0) {
    options.description = notes.join(' ');
  }
  return options;
}

/** Documents `target` (and the DTOs nested in it) from its validation rules; once per class. */
export function describeValidatedDto(target: Constructor): void {
  if (described.has(target)) {
    return;
  }
  described.add(target);
  const byProperty = new Map<string, ValidationMetadata[]>();
  for (const meta of getMetadataStorage().getTargetValidationMetadatas(target, '', true, false)) {
    byProperty.set(meta.propertyName, [...(byProperty.get(meta.propertyName) ?? []), meta]);
  }
  const initial = defaults(target);
  const prototype = target.prototype as object;
  for (const [property, rules] of byProperty) {
    if (Reflect.hasMetadata(DECORATORS.API_MODEL_PROPERTIES, prototype, property)) {
      continue;
    }
    const options = propertyOptions(target, property, rules, initial[property]);
    if (options === undefined) {
      continue;
    }
    ApiProperty(options)(prototype, property);
    const nested = designType(target, property);
    if (isValidatedClass(nested)) {
      describeValidatedDto(nested);
    }
  }
}
