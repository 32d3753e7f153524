import { ValidationPipe, type ValidationError } from '@nestjs/common';
import { ValidationException, type FieldError } from './app.exception';

/** Flattens class-validator's tree so every failing field is named by its dotted path. */
export function flattenValidationErrors(errors: ValidationError[], parent = ''): FieldError[] {
  const out: FieldError[] = [];
  for (const error of errors) {
    const field = parent === '' ? error.property : `${parent}.${error.property}`;
    if (error.constraints !== undefined) {
      out.push({ field, messages: Object.values(error.constraints) });
    }
    if (error.children !== undefined && error.children.length > 0) {
      out.push(...flattenValidationErrors(error.children, field));
    }
  }
  return out;
}

export function createValidationPipe(): ValidationPipe {
  return new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    transform: true,
    // Keep going after the first failure so the answer names every bad field.
    stopAtFirstError: false,
    validationError: { target: false, value: false },
    exceptionFactory: (errors) => new ValidationException(flattenValidationErrors(errors)),
  });
}
