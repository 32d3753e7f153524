import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { inspect } from 'node:util';
import { Client } from '@sendgrid/client';
import type { ClientRequest } from '@sendgrid/client/src/request';
import type { ClientResponse } from '@sendgrid/client/src/response';
import { MailService, type MailDataRequired } from '@sendgrid/mail';
import { encodeWords, detectMimeType } from 'nodemailer/lib/mime-funcs';
import { DeliveryError } from '../delivery-error';
import { mapSendGridError } from '../delivery-error.mapper';
import {
  fromOf,
  type EmailAddress,
  type MailTransport,
  type OutboundAttachment,
  type OutboundEmail,
  type SendResult,
} from '../mail-transport.interface';
import { messageIdHeader } from '../outbound-message';
import { DEFAULT_HTTP_TIMEOUT_MS, DEFAULT_SENDGRID_MAX_CONNECTIONS } from '../transports.constants';

export interface SendGridTransportOptions {
  /** `MailTransport.name`, e.g. `provider:sendgrid` or `builtin`. */
  name: string;
  apiKey: string;
  /** API base URL (SENDGRID_API_URL), e.g. `https://api.sendgrid.com`. */
  baseUrl: string;
  /** From of messages that do not name one (the configured sender). */
  defaultFrom: EmailAddress;
  timeoutMs?: number;
  /** Requests in flight at once, each on its own keep-alive socket; more wait for a free socket. */
  maxConnections?: number;
}

/** custom_args key carrying the outbox id, echoed in SendGrid's event webhook. */
export const SENDGRID_MESSAGE_ID_ARG = 'mailgate_id';

/** Headers SendGrid sets itself and answers 400 for: https://www.twilio.com/docs/sendgrid/api-reference/mail-send/errors */
const RESERVED_HEADERS = new Set([
  'x-sg-id',
  'x-sg-eid',
  'received',
  'dkim-signature',
  'content-type',
  'content-transfer-encoding',
  'to',
  'from',
  'subject',
  'reply-to',
  'cc',
  'bcc',
]);

type ScopesBody = { scopes?: unknown };
type AttachmentData = NonNullable<MailDataRequired['attachments']>[number];

/**
 * @sendgrid/mail passes the mail's custom headers as HTTP request headers too (mail-service.js:
 * `headers: mail.headers`), which can override `Authorization`/`Content-Type` and breaks on
 * non-Latin-1 values. They belong in the JSON body only, so this client drops them.
 */
class MailBodyOnlyClient extends Client {
  override request(
    data: ClientRequest,
    cb?: Parameters<Client['request']>[1],
  ): Promise<[ClientResponse, unknown]> {
    return super.request({ ...data, headers: {} }, cb);
  }
}

/**
 * @sendgrid/helpers snake-cases the keys of objects but not of objects inside arrays, so an
 * attachment's `contentId` would reach the API as is; the API's own `content_id` is given instead.
 */
function toAttachment(attachment: OutboundAttachment): AttachmentData {
  const json = {
    content: attachment.content.toString('base64'),
    filename: attachment.filename,
    type: attachment.contentType ?? detectMimeType(attachment.filename),
    disposition: attachment.cid ? 'inline' : 'attachment',
    ...(attachment.cid ? { content_id: attachment.cid } : {}),
  };
  // Extra keys are fine for the type; `content_id` is the wire name.
  return json;
}

/** SendGrid takes UTF-8 names as JSON strings; an empty name is left out. */
function sgAddress(entry: EmailAddress): { email: string; name?: string } {
  return entry.name ? { email: entry.email, name: entry.name } : { email: entry.email };
}

function headerOf(response: ClientResponse, name: string): string | null {
  const headers = response.headers as Record<string, unknown> | undefined;
  const value = headers?.[name];
  return typeof value === 'string' && value !== '' ? value : null;
}

/** SendGrid v3 Web API through a private MailService/Client pair, never the module's shared singleton. */
export class SendGridTransport implements MailTransport {
  readonly name: string;
  /** Requests this adapter has in flight at most: its agent's socket count. */
  readonly maxConcurrency: number;
  private readonly client = new MailBodyOnlyClient();
  private readonly agent: HttpAgent | HttpsAgent;
  private readonly inFlight = new Set<Promise<unknown>>();
  private readonly mail = new MailService();
  private readonly defaultFrom: EmailAddress;

  constructor(options: SendGridTransportOptions) {
    const apiKey = options.apiKey.trim();
    // A key with a line break or space would fail inside Node's HTTP client on every send.
    if (!/^[\x21-\x7e]{8,512}$/.test(apiKey)) {
      throw new DeliveryError('config', 'SendGrid API key is missing or malformed', {
        code: 'SENDGRID_KEY_INVALID',
      });
    }
    let baseUrl: URL;
    try {
      baseUrl = new URL(options.baseUrl);
    } catch {
      throw new DeliveryError('config', 'SendGrid API URL is not a valid URL', {
        code: 'SENDGRID_URL_INVALID',
      });
    }
    if (!options.defaultFrom.email.includes('@')) {
      throw new DeliveryError('config', 'SendGrid sender is not an email address', {
        code: 'SENDGRID_SENDER_INVALID',
      });
    }
    this.name = options.name;
    this.defaultFrom = options.defaultFrom;
    this.maxConcurrency = options.maxConnections ?? DEFAULT_SENDGRID_MAX_CONNECTIONS;
    // One keep-alive agent per adapter: TLS handshakes are paid once per socket, not per message,
    // and maxSockets bounds this tenant's requests in flight (axios' default agent has no bound).
    const agentOptions = { keepAlive: true, maxSockets: this.maxConcurrency };
    const plain = baseUrl.protocol === 'http:';
    this.agent = plain ? new HttpAgent(agentOptions) : new HttpsAgent(agentOptions);
    this.client.setApiKey(apiKey);
    // setApiKey resets baseUrl to the public region host, so the configured one goes second.
    this.client.setDefaultRequest('baseUrl', baseUrl.toString());
    // axios picks the agent by the URL's scheme; the client's type only names httpsAgent.
    this.client.setDefaultRequest({
      [plain ? 'httpAgent' : 'httpsAgent']: this.agent,
    } as unknown as ClientRequest);
    this.mail.setClient(this.client);
    this.mail.setTimeout(options.timeoutMs ?? DEFAULT_HTTP_TIMEOUT_MS);
  }

  async send(message: OutboundEmail): Promise<SendResult> {
    const { data, recipients } = this.toMailData(message);
    let response: ClientResponse;
    const sending = this.mail.send(data);
    this.inFlight.add(sending);
    try {
      [response] = await sending;
    } catch (error) {
      throw mapSendGridError(error);
    } finally {
      this.inFlight.delete(sending);
    }
    // Any 2xx: SendGrid accepted every recipient; bounces arrive later through its event webhook.
    return {
      providerMessageId: headerOf(response, 'x-message-id'),
      accepted: recipients,
      rejected: [],
    };
  }

  /** GET /v3/scopes: proves the key without sending mail, and that it may send (`mail.send`). */
  async verify(): Promise<void> {
    let body: ScopesBody;
    try {
      [, body] = (await this.client.request({ method: 'GET', url: '/v3/scopes' })) as [
        ClientResponse,
        ScopesBody,
      ];
    } catch (error) {
      throw mapSendGridError(error);
    }
    if (Array.isArray(body?.scopes) && !body.scopes.includes('mail.send')) {
      throw new DeliveryError('auth', 'SendGrid API key lacks the mail.send permission', {
        code: 'SENDGRID_SCOPE',
        status: 403,
      });
    }
  }

  /** Lets requests already sent finish (each bounded by the HTTP timeout), then closes the sockets. */
  async close(): Promise<void> {
    await Promise.allSettled([...this.inFlight]);
    this.agent.destroy();
  }

  toJSON(): { name: string } {
    return { name: this.name };
  }

  [inspect.custom](): string {
    return `SendGridTransport(${this.name})`;
  }

  /** The v3 mail/send body: https://www.twilio.com/docs/sendgrid/api-reference/mail-send/mail-send */
  private toMailData(message: OutboundEmail): { data: MailDataRequired; recipients: string[] } {
    const from = fromOf(message, this.defaultFrom)!;
    // SendGrid answers 400 when one address appears twice across to, cc and bcc.
    const seen = new Set<string>();
    // Recipients left out of this attempt (suppressed, or sent before) count as seen.
    const only =
      message.envelopeTo === undefined
        ? undefined
        : new Set(message.envelopeTo.map((email) => email.toLowerCase()));
    const unique = (list: EmailAddress[] = []): { email: string; name?: string }[] =>
      list
        .filter((entry) => {
          const key = entry.email.toLowerCase();
          if (only !== undefined && !only.has(key)) {
            return false;
          }
          return seen.has(key) ? false : (seen.add(key), true);
        })
        .map(sgAddress);
    let to = unique(message.to);
    let cc = unique(message.cc);
    let bcc = unique(message.bcc);
    // A personalization needs a `to`: when this attempt leaves every To out, a Cc or Bcc takes its place.
    if (to.length === 0) {
      [to, cc, bcc] = cc.length > 0 ? [cc, [], bcc] : [bcc, [], []];
    }

    const content: { type: string; value: string }[] = [];
    // text/plain must come before text/html.
    if (message.text) {
      content.push({ type: 'text/plain', value: message.text });
    }
    if (message.html) {
      content.push({ type: 'text/html', value: message.html });
    }
    if (content.length === 0) {
      // Content is mandatory without a template; one space is the smallest valid body.
      content.push({ type: 'text/plain', value: ' ' });
    }

    const headers: Record<string, string> = {};
    for (const [key, value] of Object.entries(message.headers ?? {})) {
      // Message-ID is ours (stable across retries); the reserved ones come from the message fields.
      if (!RESERVED_HEADERS.has(key.toLowerCase()) && key.toLowerCase() !== 'message-id') {
        // SendGrid wants unicode header values already encoded (RFC 2047).
        headers[key] = /^[\t\x20-\x7e]*$/.test(value) ? value : encodeWords(value, 'Q', 52, true);
      }
    }
    headers['Message-ID'] = messageIdHeader(message.messageId, from.email);

    const data: MailDataRequired = {
      from: sgAddress(from),
      replyTo: message.replyTo ? sgAddress(message.replyTo) : undefined,
      personalizations: [
        {
          to,
          ...(cc.length > 0 ? { cc } : {}),
          ...(bcc.length > 0 ? { bcc } : {}),
        },
      ],
      subject: message.subject,
      content: content as MailDataRequired['content'] & { 0: { type: string; value: string } },
      attachments: message.attachments?.map(toAttachment),
      headers,
      customArgs: { [SENDGRID_MESSAGE_ID_ARG]: message.messageId },
      hideWarnings: true,
    };
    return { data, recipients: [...to, ...cc, ...bcc].map((entry) => entry.email) };
  }
}
