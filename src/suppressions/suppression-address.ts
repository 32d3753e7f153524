import { domainToASCII } from 'node:url';

/**
 * The form under which an address is suppressed and looked up: the local part as given (RFC 5321
 * lets servers treat it case-sensitively), the domain case-folded and in its ASCII (punycode)
 * form, so `Bob@Example.COM`, `Bob@example.com` and `bob@bücher.de` / `bob@xn--bcher-kva.de` meet.
 * One small function on purpose: it moves to the shared address module when that lands.
 */
export function suppressionKey(email: string): string {
  const at = email.lastIndexOf('@');
  if (at < 0) {
    return email;
  }
  const domain = email
    .slice(at + 1)
    .normalize('NFC')
    .toLowerCase();
  return `${email.slice(0, at)}@${domainToASCII(domain) || domain}`;
}
