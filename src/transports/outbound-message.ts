import { domainToASCII } from 'node:url';
import type { Address, Attachment, SendMailOptions } from 'nodemailer';
import type { EmailAddress, OutboundEmail } from './mail-transport.interface';

/** Domain part of an address, lowercased and in its ASCII (punycode) form for use in headers. */
export function domainOf(email: string): string {
  const domain = email.slice(email.lastIndexOf('@') + 1).toLowerCase();
  return domainToASCII(domain) || domain;
}

/**
 * The `Message-ID` every attempt of one outbox message carries, `<messageId@from-domain>`, so
 * receivers can deduplicate at-least-once retries. The left part is kept to RFC 5322's
 * dot-atom-text (https://www.rfc-editor.org/rfc/rfc5322#section-3.6.4).
 */
export function messageIdHeader(messageId: string, fromEmail: string): string {
  const left =
    messageId
      .replace(/[^A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]/g, '_')
      .replace(/\.{2,}/g, '.')
      .replace(/^\.|\.$/g, '') || 'message';
  return `<${left}@${domainOf(fromEmail) || 'mailgate.invalid'}>`;
}

/** nodemailer encodes a non-ASCII display name per RFC 2047 when given `{ name, address }`. */
export function toAddress(address: EmailAddress): Address {
  return address.name ? { name: address.name, address: address.email } : { address: address.email };
}

/** Every envelope recipient of the message, in to, cc, bcc order. */
export function recipientsOf(message: OutboundEmail): string[] {
  return [...message.to, ...(message.cc ?? []), ...(message.bcc ?? [])].map((entry) => entry.email);
}

/**
 * The nodemailer message for SMTP and capture: text and html become multipart/alternative,
 * attachments with a `cid` sit inline in multipart/related next to the html, bcc only reaches the
 * envelope. Content never comes from a file or a URL.
 */
export function toMailOptions(message: OutboundEmail, from: EmailAddress): SendMailOptions {
  const attachments: Attachment[] | undefined = message.attachments?.map((attachment) => ({
    filename: attachment.filename,
    content: attachment.content,
    contentType: attachment.contentType,
    ...(attachment.cid ? { cid: attachment.cid, contentDisposition: 'inline' } : {}),
  }));
  return {
    messageId: messageIdHeader(message.messageId, from.email),
    from: toAddress(from),
    to: message.to.map(toAddress),
    cc: message.cc?.map(toAddress),
    bcc: message.bcc?.map(toAddress),
    replyTo: message.replyTo ? toAddress(message.replyTo) : undefined,
    subject: message.subject,
    text: message.text,
    html: message.html,
    attachments,
    headers: message.headers,
    // Only some recipients this time: the headers still name everyone.
    ...(message.envelopeTo === undefined
      ? {}
      : { envelope: { from: from.email, to: message.envelopeTo } }),
    disableFileAccess: true,
    disableUrlAccess: true,
  };
}
