import { domainToASCII } from 'node:url';
import addressparser from 'nodemailer/lib/addressparser';

/**
 * The one address module of the project: send requests (`from`, `to`, `cc`, `bcc`, `replyTo`),
 * provider senders, test-send recipients and BUILTIN_MAIL_FROM all go through `parseMailbox`, so
 * nothing a tenant can save is refused later by another rule. Parsing is nodemailer's own
 * address parser (the one that renders our headers); the checks after it are RFC 5321 sizes.
 */
export interface Mailbox {
  /** Display name; any UTF-8 text (nodemailer encodes it per RFC 2047 in headers). */
  name?: string;
  /** `local@domain` with the domain lower-cased in ASCII (IDN → punycode, RFC 5890). */
  email: string;
}

/** `part`: which field of `{ name, email }` the problem is about (both forms name it). */
export type MailboxResult =
  { ok: true; value: Mailbox } | { ok: false; problem: string; part: 'name' | 'email' };

/** RFC 5321 §4.5.3.1: path 256 octets including the angle brackets → 254 for the address. */
export const MAX_ADDRESS_OCTETS = 254;
const MAX_LOCAL_OCTETS = 64;
export const MAX_DISPLAY_NAME = 256;

/** A string without CR, LF or NUL, as a JSON Schema pattern (the send request schema uses it too). */
export const NO_LINE_BREAK_PATTERN = '^[^\\r\\n\\u0000]*$';
/** CR, LF and NUL end a header line early: the root of header injection. */
export const LINE_BREAK = /[\r\n\0]/;
/** RFC 5322 atext plus dots, and any non-ASCII character (RFC 6531 UTF-8 local parts). */
const LOCAL_PART =
  /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~\u0080-\u{10FFFF}-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~\u0080-\u{10FFFF}-]+)*$/u;
/** `Name <addr>` / `"Quoted, Name" <addr>`: a bare name may not hold the characters that need quotes. */
const NAME_ADDR = /^(?:"(?:[^"\\]|\\.)*"|[^"<>@,;:()\\]*)\s*<[^<>]+>$/;
const LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;
const IPV4_LITERAL = /^\[(?:(?:25[0-5]|2[0-4]\d|1?\d?\d)\.){3}(?:25[0-5]|2[0-4]\d|1?\d?\d)\]$/;

function fail(problem: string, part: 'name' | 'email' = 'email'): MailboxResult {
  return { ok: false, problem, part };
}

/** The ASCII form of a domain, or undefined when it is not a host name (or `[IPv4]` literal). */
export function asciiDomain(domain: string): string | undefined {
  if (IPV4_LITERAL.test(domain)) {
    return domain;
  }
  const ascii = domainToASCII(domain.replace(/\.$/, ''));
  if (ascii === '' || ascii.length > 253) {
    return undefined;
  }
  const labels = ascii.split('.');
  // A single label is only valid for `localhost`: mail to a bare word is a typo, not a host.
  if (labels.length < 2 && ascii !== 'localhost') {
    return undefined;
  }
  return labels.every((label) => LABEL.test(label)) ? ascii : undefined;
}

/** Checks a bare `local@domain` and gives it back with its domain in ASCII. */
export function normalizeAddress(
  address: string,
): { ok: true; email: string } | { ok: false; problem: string } {
  if (LINE_BREAK.test(address)) {
    return { ok: false, problem: 'must not contain CR, LF or NUL' };
  }
  const at = address.lastIndexOf('@');
  if (at <= 0 || at === address.length - 1) {
    return { ok: false, problem: 'must be an email address (local@domain)' };
  }
  const local = address.slice(0, at);
  const domain = asciiDomain(address.slice(at + 1));
  if (!LOCAL_PART.test(local) || Buffer.byteLength(local) > MAX_LOCAL_OCTETS) {
    return { ok: false, problem: 'must be an email address (its local part is not valid)' };
  }
  if (domain === undefined) {
    return { ok: false, problem: 'must be an email address (its domain is not a valid host name)' };
  }
  const email = `${local}@${domain}`;
  if (Buffer.byteLength(email) > MAX_ADDRESS_OCTETS) {
    return { ok: false, problem: `must be at most ${MAX_ADDRESS_OCTETS} octets (RFC 5321)` };
  }
  return { ok: true, email };
}

function withName(name: string | undefined, email: string): MailboxResult {
  const trimmed = name?.trim() ?? '';
  // Checked before trimming, as the send request schema checks it: a leading or trailing CR/LF
  // is refused, not silently dropped.
  if (LINE_BREAK.test(name ?? '') || (name ?? '').length > MAX_DISPLAY_NAME) {
    return fail(`must be at most ${MAX_DISPLAY_NAME} characters without CR, LF or NUL`, 'name');
  }
  return { ok: true, value: trimmed === '' ? { email } : { name: trimmed, email } };
}

/**
 * One mailbox as users write it: `addr`, `Name <addr>`, `"Quoted, Name" <addr>` or
 * `{ name, email }` (then `email` is a bare address). IDN domains in Unicode or punycode.
 * Refused: groups, more than one address, CR/LF/NUL, over 254 octets.
 */
export function parseMailbox(input: unknown): MailboxResult {
  if (typeof input === 'object' && input !== null && !Array.isArray(input)) {
    const { name, email } = input as { name?: unknown; email?: unknown };
    if (name !== undefined && typeof name !== 'string') {
      return fail('must be a string', 'name');
    }
    if (typeof email !== 'string') {
      return fail('must be an email address');
    }
    if (LINE_BREAK.test(email)) {
      return fail('must not contain CR, LF or NUL');
    }
    const address = normalizeAddress(email.trim());
    return address.ok ? withName(name, address.email) : fail(address.problem);
  }
  if (typeof input !== 'string') {
    return fail('must be an email address, "Name <address>" or { name, email }');
  }
  if (LINE_BREAK.test(input)) {
    return fail('must not contain CR, LF or NUL');
  }
  if (Buffer.byteLength(input) > MAX_ADDRESS_OCTETS + MAX_DISPLAY_NAME * 4 + 8) {
    return fail(`must be at most ${MAX_ADDRESS_OCTETS} octets (RFC 5321)`);
  }
  const parsed = addressparser(input);
  if (parsed.some((entry) => 'group' in entry)) {
    return fail('must be one address, not a group');
  }
  if (parsed.length !== 1) {
    return fail(
      parsed.length === 0
        ? 'must be an email address'
        : `must be one address (found ${parsed.length}); give a list where several are allowed`,
    );
  }
  const [entry] = parsed as Array<{ name: string; address: string }>;
  // The parser is lenient (`a b@x` reads as name `a`); only the two written forms are taken.
  const trimmed = input.trim();
  if (trimmed.includes('<') ? !NAME_ADDR.test(trimmed) : entry.address !== trimmed) {
    return fail('must be an email address or "Name <address>" (quote a name with , ; : @ or ")');
  }
  const address = normalizeAddress(entry.address);
  return address.ok ? withName(entry.name, address.email) : fail(address.problem);
}

/** Whether an address needs SMTPUTF8 (RFC 6531): a non-ASCII local part (domains go as punycode). */
export function needsSmtpUtf8(email: string): boolean {
  return /[\u0080-\u{10FFFF}]/u.test(email.slice(0, email.lastIndexOf('@')));
}

/** The domain part of a normalized address (ASCII). */
export function domainOf(email: string): string {
  return email.slice(email.lastIndexOf('@') + 1).toLowerCase();
}
