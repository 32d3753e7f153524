import { ApiCode } from './api-code.enum';
import { AppException, ValidationException, type FieldError } from './app.exception';

/**
 * Deepest nesting the API accepts in a JSON body. Real requests nest 4 levels at most
 * (`messages[].to[].email`); recursive libraries on the request path (class-transformer, the
 * signature check) overflow the stack at a few thousand levels, which would become a 500.
 */
export const MAX_JSON_DEPTH = 32;

/**
 * NUL and unpaired UTF-16 surrogates (JSON allows both as escapes): PostgreSQL stores neither in
 * text or jsonb, and no mail header or body needs them.
 */
const INVALID_TEXT_RE = /[\0\p{Cs}]/u;
const MAX_REPORTED = 20;

/**
 * Checks a parsed JSON body before any route code sees it: nesting depth, and text that could
 * not be stored. Iterative, so any depth is safe. Returns the error to answer with, if any.
 */
export function checkJsonBody(body: unknown): AppException | undefined {
  const stack: Array<{ node: unknown; depth: number; path: string }> = [
    { node: body, depth: 0, path: '' },
  ];
  const invalid: FieldError[] = [];
  const flag = (path: string, what: string): void => {
    if (invalid.length < MAX_REPORTED) {
      invalid.push({ field: path === '' ? 'body' : path, messages: [what] });
    }
  };
  while (stack.length > 0) {
    const { node, depth, path } = stack.pop()!;
    if (typeof node === 'string') {
      if (INVALID_TEXT_RE.test(node)) {
        flag(path, 'must be valid Unicode text without NUL characters');
      }
      continue;
    }
    if (typeof node !== 'object' || node === null) {
      continue;
    }
    if (depth + 1 > MAX_JSON_DEPTH) {
      return new AppException(
        ApiCode.MalformedBody,
        `JSON body is nested deeper than ${MAX_JSON_DEPTH} levels`,
      );
    }
    const entries: Array<[string, unknown]> = Array.isArray(node)
      ? node.map((value, index) => [String(index), value])
      : Object.entries(node);
    for (const [key, value] of entries) {
      const childPath = path === '' ? key : `${path}.${key}`;
      if (INVALID_TEXT_RE.test(key)) {
        flag(childPath, 'is a key that is not valid Unicode text without NUL characters');
      }
      stack.push({ node: value, depth: depth + 1, path: childPath });
    }
  }
  return invalid.length > 0 ? new ValidationException(invalid) : undefined;
}
