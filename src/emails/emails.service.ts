import { createHash } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { AppException, ValidationException, type FieldError } from '../common/app.exception';
import { ApiCode } from '../common/api-code.enum';
import { APP_ENV } from '../config/app-env.constants';
import type { AppEnv } from '../config/env';
import { needsSmtpUtf8 } from '../common/addresses';
import { MetricsService } from '../metrics/metrics.service';
import { ProviderConfigReader, type FromSource } from '../provider-config/provider-config.reader';
import type { Principal } from '../tenancy/principal';
import { TenantsService } from '../tenancy/tenants.service';
import { EmailTemplatesService } from '../templates/email-templates.service';
import { ContentSealer } from './content-sealer';
import { validateEmailRequest, type ValidatedEmail } from './email-request.validator';
import { validateWithTemplate } from './template-send';
import { EmailAcceptRepository } from './email-accept.repository';
import { EmailReadsRepository, type MessageRow } from './email-reads.repository';
import { emailViewOf, type EmailView } from './email-view';
import { EMAIL_STATUSES, isFinalStatus, type EmailStatus } from './email-status.enum';
import { MAX_BATCH, MAX_WAIT_SECONDS } from './emails.contract';

const IDEMPOTENCY_KEY_RE = /^[\x21-\x7e]{1,255}$/;
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface AcceptedEmail {
  id: string;
  status: EmailStatus;
}

type BatchItemResult =
  { index: number; id: string; status: 'queued' } | { index: number; errors: FieldError[] };

/** Every address of a message with the field that holds it (`to.0`, `replyTo`…). */
function namedAddressesOf(email: ValidatedEmail): Array<[string, string]> {
  const { from, to, cc, bcc, replyTo } = email.payload;
  return [
    ...(from === undefined ? [] : [['from', from.email] as [string, string]]),
    ...to.map((a, i): [string, string] => [`to.${i}`, a.email]),
    ...(cc ?? []).map((a, i): [string, string] => [`cc.${i}`, a.email]),
    ...(bcc ?? []).map((a, i): [string, string] => [`bcc.${i}`, a.email]),
    ...(replyTo === undefined ? [] : [['replyTo', replyTo.email] as [string, string]]),
  ];
}

function addressesOf(email: ValidatedEmail): string[] {
  return namedAddressesOf(email).map(([, address]) => address);
}

/** Whether accepting the message depends on the tenant's provider (EmailsService.refusals). */
function needsProvider(email: ValidatedEmail): boolean {
  return email.payload.from === undefined || addressesOf(email).some(needsSmtpUtf8);
}

/** Tenants whose From source is remembered at most; past it the memory starts over. */
const MAX_REMEMBERED_SOURCES = 10_000;

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

function encodeCursor(row: MessageRow): string {
  return Buffer.from(`${row.created_cursor}|${row.id}`).toString('base64url');
}

function decodeCursor(cursor: string): { createdAt: string; id: string } {
  const [createdAt, id] = Buffer.from(cursor, 'base64url').toString('utf8').split('|');
  if (
    createdAt === undefined ||
    id === undefined ||
    Number.isNaN(Date.parse(createdAt)) ||
    !UUID_RE.test(id)
  ) {
    throw new ValidationException([
      { field: 'cursor', messages: ['is not a cursor this API returned'] },
    ]);
  }
  return { createdAt, id };
}

@Injectable()
export class EmailsService {
  constructor(
    private readonly accepts: EmailAcceptRepository,
    private readonly reads: EmailReadsRepository,
    private readonly tenants: TenantsService,
    @Inject(APP_ENV) private readonly env: AppEnv,
    private readonly metrics: MetricsService,
    private readonly sealer: ContentSealer,
    private readonly providers: ProviderConfigReader,
    private readonly templates: EmailTemplatesService,
  ) {}

  /** Each tenant's From source as last read, with its config version (insertChecked). */
  private readonly sources = new Map<string, FromSource>();

  /**
   * Accept-time checks that depend on the tenant's provider, so a send is refused now (400) rather
   * than failing at dispatch: no From when the SMTP login is not an address, UTF-8 local parts for
   * SendGrid (only for a message that needsProvider).
   */
  private refusals(source: FromSource, value: ValidatedEmail, prefix = ''): FieldError[] {
    const field = (name: string): string => (prefix === '' ? name : `${prefix}.${name}`);
    const errors: FieldError[] = [];
    if (value.payload.from === undefined && source.from === 'login') {
      errors.push({
        field: field('from'),
        messages: [
          "is required: this tenant's SMTP login (smtpConfig.sender) is not an address, so it cannot be the From; give from",
        ],
      });
    }
    if (source.sendgrid) {
      for (const [name, email] of namedAddressesOf(value)) {
        if (needsSmtpUtf8(email)) {
          errors.push({
            field: field(name),
            messages: [
              'has a UTF-8 local part, which SendGrid does not accept (SMTPUTF8_UNSUPPORTED)',
            ],
          });
        }
      }
    }
    return errors;
  }

  /** The tenant's From source as stored now; remembered for single accepts (EmailsService.accept). */
  private async readSource(tenantId: string): Promise<FromSource> {
    const source = await this.providers.fromSource(tenantId);
    if (this.sources.size >= MAX_REMEMBERED_SOURCES && !this.sources.has(tenantId)) {
      this.sources.clear();
    }
    this.sources.set(tenantId, source);
    return source;
  }

  /** The batch's items that the tenant's provider refuses, by prefix (one read per batch). */
  private async providerErrors(
    tenantId: string,
    items: Array<{ prefix: string; value: ValidatedEmail }>,
  ): Promise<Map<string, FieldError[]>> {
    const out = new Map<string, FieldError[]>();
    const needs = items.filter(({ value }) => needsProvider(value));
    if (needs.length === 0) {
      return out;
    }
    const source = await this.readSource(tenantId);
    for (const { prefix, value } of needs) {
      const errors = this.refusals(source, value, prefix);
      if (errors.length > 0) {
        out.set(prefix, errors);
      }
    }
    return out;
  }

  /**
   * A single accept without an idempotency key. A message that needsProvider is checked against
   * the tenant's remembered From source, and its row is written only while that config version is
   * still current (one statement, no read of the config per request); after a config change the
   * row is refused by the insert, the source read again, and the message checked and written anew.
   */
  private async insertChecked(tenantId: string, email: ValidatedEmail): Promise<string> {
    const sealed = this.sealer.seal(tenantId, email);
    if (!needsProvider(email)) {
      return (await this.accepts.insertQueued(tenantId, sealed, null)).id;
    }
    let remembered = this.sources.get(tenantId);
    for (;;) {
      const source = remembered ?? (await this.readSource(tenantId));
      const refused = this.refusals(source, email);
      if (refused.length === 0) {
        const inserted = await this.accepts.insertQueued(tenantId, sealed, source.version);
        if (!inserted.stale) {
          return inserted.id;
        }
      } else if (remembered === undefined) {
        throw new ValidationException(refused);
      }
      // Refused by a remembered source, or written too late for it: judged by the stored config.
      remembered = undefined;
    }
  }

  /** The root key may name a tenant that has no row yet; keys of a tenant imply its row. */
  private async tenantOf(principal: Principal): Promise<string> {
    if (principal.root) {
      await this.tenants.ensureTenant(principal.tenantId);
    }
    return principal.tenantId;
  }

  /** Why a valid message is too large for MAX_MESSAGE_BYTES, or null when it fits. */
  private oversize(email: ValidatedEmail): string | null {
    const limit = this.env.limits.maxMessageBytes;
    return email.sizeBytes > limit
      ? `Message is ${email.sizeBytes} bytes; the limit is ${limit} (MAX_MESSAGE_BYTES)`
      : null;
  }

  /** The request as validated, with `template` (if any) rendered in: src/emails/template-send.ts. */
  private validateRequest(
    tenantId: string,
    body: unknown,
    prefix = '',
  ): Promise<{ value?: ValidatedEmail; errors: FieldError[] }> {
    return validateWithTemplate(this.templates, tenantId, body, prefix, validateEmailRequest);
  }

  private async validate(
    tenantId: string,
    body: unknown,
    prefix = '',
  ): Promise<{ value?: ValidatedEmail; errors: FieldError[] }> {
    const result = await this.validateRequest(tenantId, body, prefix);
    const tooLarge = result.value === undefined ? null : this.oversize(result.value);
    if (tooLarge !== null) {
      return { errors: [{ field: prefix === '' ? 'body' : prefix, messages: [tooLarge] }] };
    }
    return result;
  }

  async accept(
    principal: Principal,
    body: unknown,
    idempotencyKey: string | undefined,
  ): Promise<{ email: AcceptedEmail; replayed: boolean }> {
    if (idempotencyKey !== undefined && !IDEMPOTENCY_KEY_RE.test(idempotencyKey)) {
      throw new ValidationException([
        { field: 'Idempotency-Key', messages: ['must be 1-255 printable ASCII characters'] },
      ]);
    }
    const result = await this.validateRequest(principal.tenantId, body);
    if (result.value === undefined) {
      throw new ValidationException(result.errors);
    }
    const tooLarge = this.oversize(result.value);
    if (tooLarge !== null) {
      throw new AppException(ApiCode.PayloadTooLarge, tooLarge);
    }
    const email = result.value;
    const tenantId = await this.tenantOf(principal);
    if (idempotencyKey === undefined) {
      const id = await this.insertChecked(tenantId, email);
      this.metrics.accepted('single');
      return { email: { id, status: 'queued' }, replayed: false };
    }
    const refused = (await this.providerErrors(tenantId, [{ prefix: '', value: email }])).get('');
    if (refused !== undefined) {
      throw new ValidationException(refused);
    }
    const request = JSON.stringify([
      email.payload,
      email.tags,
      email.metadata,
      ...(email.sensitive ? [true] : []),
    ]);
    const idempotency = {
      key: idempotencyKey,
      hash: this.sealer.requestHash(request, email.sensitive, sha256),
    };
    const inserted = await this.accepts.insertIdempotent(
      tenantId,
      this.sealer.seal(tenantId, email),
      idempotency,
    );
    if (inserted.created) {
      this.metrics.accepted('single');
    }
    if (!inserted.created && !this.sealer.sameRequest(inserted.requestHash, request, sha256)) {
      throw new AppException(
        ApiCode.IdempotencyKeyReused,
        'Idempotency-Key was already used with a different request body',
        { id: inserted.id },
      );
    }
    return { email: { id: inserted.id, status: inserted.status }, replayed: !inserted.created };
  }

  async acceptBatch(
    principal: Principal,
    body: unknown,
  ): Promise<{ accepted: number; rejected: number; results: BatchItemResult[] }> {
    const messages = (body as { messages?: unknown } | null)?.messages;
    const extra =
      body !== null && typeof body === 'object'
        ? Object.keys(body).filter((k) => k !== 'messages')
        : [];
    if (
      !Array.isArray(messages) ||
      messages.length === 0 ||
      messages.length > MAX_BATCH ||
      extra.length > 0
    ) {
      throw new ValidationException([
        ...(!Array.isArray(messages) || messages.length === 0 || messages.length > MAX_BATCH
          ? [{ field: 'messages', messages: [`must be an array of 1 to ${MAX_BATCH} messages`] }]
          : []),
        ...extra.map((field) => ({ field, messages: ['is not a known field'] })),
      ]);
    }
    const results: BatchItemResult[] = [];
    const checked: Array<{ index: number; prefix: string; value: ValidatedEmail }> = [];
    for (const [index, item] of (messages as unknown[]).entries()) {
      const result = await this.validate(principal.tenantId, item, `messages.${index}`);
      if (result.value === undefined) {
        results.push({ index, errors: result.errors });
      } else {
        checked.push({ index, prefix: `messages.${index}`, value: result.value });
      }
    }
    const tenantId = await this.tenantOf(principal);
    const refused = await this.providerErrors(tenantId, checked);
    const valid = checked.filter((item) => {
      const errors = refused.get(item.prefix);
      if (errors !== undefined) {
        results.push({ index: item.index, errors });
      }
      return errors === undefined;
    });
    if (valid.length === 0) {
      results.sort((a, b) => a.index - b.index);
      throw new ValidationException(results.flatMap((r) => ('errors' in r ? r.errors : [])));
    }
    const ids = await this.accepts.insertMany(
      tenantId,
      valid.map((v) => this.sealer.seal(tenantId, v.value)),
    );
    this.metrics.accepted('batch', ids.length);
    valid.forEach((v, i) => results.push({ index: v.index, id: ids[i], status: 'queued' }));
    results.sort((a, b) => a.index - b.index);
    return { accepted: valid.length, rejected: messages.length - valid.length, results };
  }

  async get(principal: Principal, id: string): Promise<EmailView> {
    const row = UUID_RE.test(id) ? await this.reads.findById(principal.tenantId, id, true) : null;
    if (row === null) {
      throw new AppException(ApiCode.NotFound, 'Email not found');
    }
    return emailViewOf(row, await this.reads.attemptsOf(row.id));
  }

  async list(
    principal: Principal,
    query: { status?: string; cursor?: string; limit?: string },
  ): Promise<{ items: EmailView[]; nextCursor: string | null }> {
    const errors: FieldError[] = [];
    if (
      query.status !== undefined &&
      !(EMAIL_STATUSES as readonly string[]).includes(query.status)
    ) {
      errors.push({ field: 'status', messages: [`must be one of ${EMAIL_STATUSES.join(', ')}`] });
    }
    const limit = query.limit === undefined ? 50 : Number(query.limit);
    if (!Number.isInteger(limit) || limit < 1 || limit > 200) {
      errors.push({ field: 'limit', messages: ['must be an integer from 1 to 200'] });
    }
    const unknown = Object.keys(query).filter((k) => !['status', 'cursor', 'limit'].includes(k));
    errors.push(
      ...unknown.map((field) => ({ field, messages: ['is not a known query parameter'] })),
    );
    if (errors.length > 0) {
      throw new ValidationException(errors);
    }
    const rows = await this.reads.list(principal.tenantId, {
      status: query.status as EmailStatus | undefined,
      after: query.cursor === undefined ? undefined : decodeCursor(query.cursor),
      limit: limit + 1,
    });
    const page = rows.slice(0, limit);
    return {
      items: page.map((row) => emailViewOf(row)),
      nextCursor: rows.length > limit ? encodeCursor(page[page.length - 1]) : null,
    };
  }

  async retry(principal: Principal, id: string): Promise<AcceptedEmail> {
    const outcome = UUID_RE.test(id)
      ? await this.accepts.requeueFailed(principal.tenantId, id)
      : 'not_found';
    switch (outcome) {
      case 'requeued':
        return { id, status: 'queued' };
      case 'not_found':
        throw new AppException(ApiCode.NotFound, 'Email not found');
      case 'not_failed':
        throw new AppException(ApiCode.Conflict, 'Only a failed email can be retried');
      case 'purged':
        throw new AppException(
          ApiCode.Conflict,
          'The content of this email was purged (sensitive, or past MESSAGE_CONTENT_RETENTION): send it again instead',
        );
    }
  }

  /** RFC 7240 `Prefer: wait=N`: polls until the message is final or the time is up. */
  async waitForFinal(principal: Principal, id: string, seconds: number): Promise<EmailView | null> {
    const deadline = Date.now() + Math.min(seconds, MAX_WAIT_SECONDS) * 1000;
    let delay = 25;
    while (Date.now() < deadline) {
      const status = await this.reads.statusOf(principal.tenantId, id);
      if (status !== null && isFinalStatus(status)) {
        return this.get(principal, id);
      }
      await new Promise((r) => setTimeout(r, Math.min(delay, Math.max(0, deadline - Date.now()))));
      delay = Math.min(delay * 2, 250);
    }
    return null;
  }
}

/** Parses `Prefer: wait=N` (RFC 7240 §4.3); other preferences are ignored. */
export function parsePreferWait(header: string | undefined): number | undefined {
  if (header === undefined) {
    return undefined;
  }
  const match = /(?:^|[,;\s])wait\s*=\s*"?(\d+)"?/i.exec(header);
  if (match === null) {
    return undefined;
  }
  return Math.min(Number(match[1]), MAX_WAIT_SECONDS);
}
