import { createHmac } from 'node:crypto';
import { constantTimeEqual } from './constant-time';

/**
 * GenAuth's request signature exactly as npm `authing-node-sdk` 4.x computes it. The source of
 * truth is the SDK: node_modules/authing-node-sdk/src/utils/buildSignature.ts (buildStringToSign,
 * buildSignature, DEFAULT_HEADERS) and src/ManagementHttpClient.ts (what it signs: the method and
 * url as the caller passed them, `params` for "GET" and `data` for anything else).
 */

export const AUTHING_SCHEME = 'authing';
export const NONCE_HEADER = 'x-authing-signature-nonce';
export const SIGNATURE_METHOD_HEADER = 'x-authing-signature-method';

type Fields = Record<string, unknown>;
/** What is left once objects are JSON-encoded (functions cannot come from JSON or a query). */
type Primitive = string | number | boolean | bigint | symbol | null;

/** The SDK's template-string conversion of a non-object value. */
function scalarText(value: Primitive): string {
  return String(value);
}

/** Port of the SDK's `filter`: control whitespace becomes a space; other values are stringified. */
function headerValue(value: unknown): string {
  return typeof value === 'string' ? value.replace(/[\t\n\r\f]/g, ' ') : String(value);
}

/** Port of `getCanonicalizedHeaders`: `x-authing-*` and `date`, sorted, as `name:value\n`. */
export function canonicalHeaders(headers: Readonly<Record<string, unknown>>): string {
  return Object.keys(headers)
    .filter((key) => key.startsWith('x-authing-') || key === 'date')
    .sort()
    .map((key) => `${key}:${headerValue(headers[key]).trim()}\n`)
    .join('');
}

/**
 * Port of `getCanonicalizedResource`. Quirks kept on purpose: undefined values are skipped but
 * still count as keys (so `{ a: undefined }` yields `path?`), null becomes `null`, objects and
 * arrays are JSON-encoded, everything else goes through template-string conversion.
 */
export function canonicalResource(uriPattern: string, fields: object): string {
  const record = fields as Fields;
  const keys = Object.keys(record).sort();
  if (keys.length === 0) {
    return uriPattern;
  }
  const pairs: string[] = [];
  for (const key of keys) {
    const value = record[key];
    if (value === undefined) {
      continue;
    }
    const text =
      typeof value === 'object' && value !== null
        ? JSON.stringify(value)
        : scalarText(value as Primitive);
    pairs.push(`${key}=${text}`);
  }
  return `${uriPattern}?${pairs.join('&')}`;
}

/** Port of `buildStringToSign`. */
export function stringToSign(
  method: string,
  uriPattern: string,
  headers: Readonly<Record<string, unknown>>,
  fields: object,
): string {
  return `${method}\n${canonicalHeaders(headers)}${canonicalResource(uriPattern, fields)}`;
}

/** Port of `buildSignature`: base64(HMAC-SHA1(secret, stringToSign)). */
export function signString(secret: string, toSign: string): string {
  return createHmac('sha1', secret).update(Buffer.from(toSign, 'utf8')).digest('base64');
}

/** `authorization: authing <key id>:<signature>`; undefined when the header is not in that form. */
export function parseAuthingAuthorization(
  credentials: string,
): { keyId: string; signature: string } | undefined {
  const match = /^([^\s:]+):([A-Za-z0-9+/=]+)$/.exec(credentials.trim());
  return match === null ? undefined : { keyId: match[1], signature: match[2] };
}

/** A request as the server received it: raw url (path and query), lower-case headers, parsed body. */
export interface ReceivedRequest {
  method: string;
  url: string;
  headers: Readonly<Record<string, string | string[] | undefined>>;
  body: unknown;
}

/**
 * Rebuilds GET `params` from the query string the SDK's axios produced: `k=v` pairs (values are
 * strings — the SDK stringifies scalars the same way) and flat arrays, which axios sends as
 * `k[]=a&k[]=b` (node_modules/axios/lib/helpers/toFormData.js) and the SDK signs as JSON.
 */
export function queryFields(rawQuery: string): Fields {
  const fields: Record<string, string | string[]> = Object.create(null) as Record<
    string,
    string | string[]
  >;
  for (const [name, value] of new URLSearchParams(rawQuery)) {
    const isArray = name.endsWith('[]');
    const key = isArray ? name.slice(0, -2) : name;
    const existing = fields[key];
    if (Array.isArray(existing)) {
      existing.push(value);
    } else if (existing !== undefined) {
      fields[key] = [existing, value];
    } else {
      fields[key] = isArray ? [value] : value;
    }
  }
  return fields;
}

function decodedPath(path: string): string {
  try {
    return decodeURI(path);
  } catch {
    return path;
  }
}

/**
 * Every string the SDK could have signed for this request. The server sees the request after
 * axios serialised it, so a few shapes are ambiguous and each is tried (all are HMAC-covered):
 * - the url as passed, or with characters the URL parser percent-encoded (`{id}` → `%7Bid%7D`);
 * - a params/data object whose values were all undefined signs `path?`, yet nothing is sent;
 * - a query written into `url` itself is signed verbatim rather than as sorted params;
 * - a method passed in lower case fails the SDK's `=== "GET"` test, so it signs `data` (nothing
 *   for a GET) under the lower-case method.
 * Not reproducible, hence refused: GET params that are null, empty arrays or Dates (axios drops or
 * reformats them) and top-level Date/NaN body fields.
 */
export function candidateStringsToSign(request: ReceivedRequest): string[] {
  const queryAt = request.url.indexOf('?');
  const path = queryAt === -1 ? request.url : request.url.slice(0, queryAt);
  const rawQuery = queryAt === -1 ? '' : request.url.slice(queryAt + 1);
  const method = request.method.toUpperCase();
  const isGet = method === 'GET';
  // The SDK's `config.data || {}`: a falsy body signs nothing.
  const body: object = request.body || {};
  const headers = Object.fromEntries(
    Object.entries(request.headers)
      .filter((entry): entry is [string, string | string[]] => entry[1] !== undefined)
      .map(([name, value]) => [name, Array.isArray(value) ? value.join(', ') : value]),
  );
  const signedHeaders = canonicalHeaders(headers);
  const head = (m: string): string => `${m}\n${signedHeaders}`;
  const fields = isGet ? queryFields(rawQuery) : body;

  const out = new Set<string>();
  for (const uriPattern of new Set([path, decodedPath(path)])) {
    out.add(head(method) + canonicalResource(uriPattern, fields));
    if (Object.values(fields).every((v) => v === undefined)) {
      out.add(`${head(method)}${uriPattern}?`);
    }
    if (rawQuery !== '') {
      out.add(head(method) + canonicalResource(`${uriPattern}?${rawQuery}`, isGet ? {} : body));
    }
    out.add(head(method.toLowerCase()) + canonicalResource(uriPattern, isGet ? {} : body));
  }
  return [...out];
}

/** True when `signature` matches one of the candidates, compared in constant time. */
export function verifySignature(secret: string, signature: string, candidates: string[]): boolean {
  let matched = false;
  for (const candidate of candidates) {
    // No early exit: every candidate is compared, so timing does not tell which one matched.
    matched = constantTimeEqual(signString(secret, candidate), signature) || matched;
  }
  return matched;
}
