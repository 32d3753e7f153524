import { createHash } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { ValidationException, type FieldError } from '../common/app.exception';
import type { Principal } from '../tenancy/principal';
import { TenantsService } from '../tenancy/tenants.service';
import { defaultExpiresIn, defaultTemplate, DEFAULT_SENDER } from './default-templates';
import type { EmailTemplateHistoryQueryDto } from './dto/email-template-history-query.dto';
import type {
  EmailTemplateDto,
  EmailTemplateHistoryDto,
  GetEmailTemplatesDataDto,
  PreviewEmailTemplateDataDto,
} from './dto/email-template.dto';
import type { GetEmailTemplatesQueryDto } from './dto/get-email-templates-query.dto';
import type { PreviewEmailTemplateDto } from './dto/preview-email-template.dto';
import type { UpdateEmailTemplateDto } from './dto/update-email-template.dto';
import {
  DEFAULT_TEMPLATE_LOCALE,
  EMAIL_TEMPLATE_TYPES,
  type EmailTemplateType,
  type TemplateLocale,
} from './email-template-type.enum';
import {
  EmailTemplatesRepository,
  type StoredTemplate,
  type TemplateSavePlan,
  type TemplateWrite,
} from './email-templates.repository';
import {
  CompiledTemplateCache,
  compileTemplate,
  renderTemplate,
  TemplateCheckError,
  type CompiledTemplate,
  type RenderedTemplate,
  type TemplateSource,
  type TemplateValue,
} from './template-engine';
import type { TemplateRequest } from './template-request';
import {
  MAX_CONTENT_BYTES,
  SAMPLE_DATA,
  SENSITIVE_TEMPLATE_TYPES,
  TEMPLATE_CATEGORIES,
  TEMPLATE_VARIABLES,
} from './templates.constants';

/** A template as a send or preview uses it: the tenant's when customised, else the default. */
interface EffectiveTemplate {
  source: TemplateSource;
  expiresIn: number | undefined;
  redirectTo: string | undefined;
  cacheKey: string | null;
}

/** What a send by template stores: rendered once, at accept time. */
export interface RenderedForSend extends RenderedTemplate {
  type: EmailTemplateType;
  /** Verification codes, passwords, one-time links. */
  sensitive: boolean;
}

function contentDigest(content: string): { bytes: number; sha256: string } {
  return {
    bytes: Buffer.byteLength(content),
    sha256: createHash('sha256').update(content).digest('hex'),
  };
}

function toDto(type: EmailTemplateType, t: StoredTemplate): EmailTemplateDto {
  return {
    customizeEnabled: t.customizeEnabled,
    type,
    name: t.name,
    subject: t.subject,
    sender: t.sender,
    content: t.content,
    ...(t.expiresIn === null ? {} : { expiresIn: t.expiresIn }),
    ...(t.redirectTo === null ? {} : { redirectTo: t.redirectTo }),
    tplEngine: 'handlebar',
  };
}

function defaultDto(type: EmailTemplateType, locale: TemplateLocale): EmailTemplateDto {
  const d = defaultTemplate(type, locale);
  const expiresIn = defaultExpiresIn(type);
  return {
    customizeEnabled: false,
    type,
    name: d.name,
    subject: d.subject,
    sender: d.sender,
    content: d.content,
    ...(expiresIn === undefined ? {} : { expiresIn }),
    tplEngine: 'handlebar',
  };
}

/** The audit entry of a save: old/new per field; content as size and digest, never the text. */
function diffTemplates(
  before: StoredTemplate | null,
  after: TemplateWrite,
): Record<string, unknown> {
  const changes: Record<string, unknown> = {};
  const fields = [
    'customizeEnabled',
    'name',
    'subject',
    'sender',
    'expiresIn',
    'redirectTo',
  ] as const;
  for (const field of fields) {
    const old = before === null ? null : before[field];
    if (old !== after[field]) {
      changes[field] = { old, new: after[field] };
    }
  }
  if (before === null || before.content !== after.content) {
    changes.content = {
      old: before === null ? null : contentDigest(before.content),
      new: contentDigest(after.content),
    };
  }
  return changes;
}

/**
 * GenAuth's email templates: the 15 defaults, a tenant's customised ones (audited), preview,
 * and rendering for sends. Compiled templates are cached per (tenant, type, version) and per
 * (type, locale) for the defaults.
 */
@Injectable()
export class EmailTemplatesService {
  private readonly cache = new CompiledTemplateCache();

  constructor(
    private readonly repo: EmailTemplatesRepository,
    private readonly tenants: TenantsService,
  ) {}

  async list(
    tenantId: string,
    query: GetEmailTemplatesQueryDto,
  ): Promise<GetEmailTemplatesDataDto> {
    const locale = query.locale ?? DEFAULT_TEMPLATE_LOCALE;
    const saved =
      query.defaults === 'true'
        ? new Map<EmailTemplateType, StoredTemplate>()
        : new Map((await this.repo.findAll(tenantId)).map((t) => [t.type, t]));
    return {
      templates: EMAIL_TEMPLATE_TYPES.map((type) => {
        const stored = saved.get(type);
        return stored === undefined ? defaultDto(type, locale) : toDto(type, stored);
      }),
      categories: TEMPLATE_CATEGORIES.map((c) => ({ ...c })),
    };
  }

  async update(principal: Principal, body: UpdateEmailTemplateDto): Promise<EmailTemplateDto> {
    const source = { subject: body.subject, sender: body.sender, content: body.content };
    this.check(body.type, source);
    if (principal.root) {
      await this.tenants.ensureTenant(principal.tenantId);
    }
    const write: TemplateWrite = {
      customizeEnabled: body.customizeEnabled,
      name: body.name,
      subject: body.subject,
      sender: body.sender,
      content: body.content,
      expiresIn: body.expiresIn ?? null,
      redirectTo: body.redirectTo ?? null,
    };
    const saved = await this.repo.save(
      principal.tenantId,
      body.type,
      principal.keyId,
      (current): TemplateSavePlan | null => {
        const changes = diffTemplates(current, write);
        if (current !== null && Object.keys(changes).length === 0) {
          return null;
        }
        return { write, action: current === null ? 'create' : 'update', changes };
      },
    );
    return toDto(body.type, saved);
  }

  /** The audit trail of saves, newest first: what changed, by which key; content as a digest. */
  async history(
    tenantId: string,
    query: EmailTemplateHistoryQueryDto,
  ): Promise<EmailTemplateHistoryDto> {
    const page = await this.repo.history(tenantId, query.type, query.limit, query.cursor);
    return {
      list: page.rows.map((row) => ({ ...row, createdAt: row.createdAt.toISOString() })),
      nextCursor: page.nextCursor,
    };
  }

  async preview(
    tenantId: string,
    body: PreviewEmailTemplateDto,
  ): Promise<PreviewEmailTemplateDataDto> {
    const locale = body.locale ?? DEFAULT_TEMPLATE_LOCALE;
    const stored = await this.repo.find(tenantId, body.type);
    const base = this.effective(tenantId, body.type, stored, locale, true);
    const edited =
      body.content !== undefined || body.subject !== undefined || body.sender !== undefined;
    const source: TemplateSource = {
      content: body.content ?? base.source.content,
      subject: body.subject ?? base.source.subject,
      sender: body.sender ?? base.source.sender,
    };
    // An unsaved edit is compiled for this answer only; saved ones come from the cache.
    const compiled =
      edited || base.cacheKey === null
        ? this.check(body.type, source)
        : this.compiled(body.type, base.cacheKey, source);
    const values = this.values(
      body.type,
      { ...base, expiresIn: body.expiresIn ?? base.expiresIn },
      source.sender,
      {
        ...SAMPLE_DATA,
        redirectTo: base.redirectTo ?? 'https://example.com/',
      },
      String(SAMPLE_DATA.email),
    );
    const out = renderTemplate(compiled, values, 'data');
    if (out.value === undefined) {
      throw new ValidationException(out.errors);
    }
    return { content: out.value.html, subject: out.value.subject, sender: out.value.sender };
  }

  /**
   * Renders `request` for a message to `recipient`: the tenant's template when customised, else
   * the default in `request.locale`. Errors name `${path}.data.<variable>`.
   */
  async renderForSend(
    tenantId: string,
    request: TemplateRequest,
    recipient: string,
    path: string,
  ): Promise<{ value?: RenderedForSend; errors: FieldError[] }> {
    const stored = await this.repo.find(tenantId, request.type);
    const effective = this.effective(tenantId, request.type, stored, request.locale, false);
    const compiled = this.compiled(request.type, effective.cacheKey!, effective.source);
    const values = this.values(
      request.type,
      effective,
      effective.source.sender,
      request.data,
      recipient,
    );
    const out = renderTemplate(compiled, values, `${path}.data`);
    if (out.value === undefined) {
      return { errors: out.errors };
    }
    return {
      value: {
        ...out.value,
        type: request.type,
        sensitive: SENSITIVE_TEMPLATE_TYPES.has(request.type),
      },
      errors: [],
    };
  }

  /** Size and compile checks of a template about to be saved or previewed. */
  private check(type: EmailTemplateType, source: TemplateSource): CompiledTemplate {
    const bytes = Buffer.byteLength(source.content);
    if (bytes > MAX_CONTENT_BYTES) {
      throw new ValidationException([
        {
          field: 'content',
          messages: [`is ${bytes} bytes; the limit is ${MAX_CONTENT_BYTES} (256 KiB)`],
        },
      ]);
    }
    try {
      return compileTemplate(source, TEMPLATE_VARIABLES[type], type);
    } catch (error) {
      if (error instanceof TemplateCheckError) {
        throw new ValidationException(error.errors);
      }
      throw error;
    }
  }

  private compiled(type: EmailTemplateType, key: string, source: TemplateSource): CompiledTemplate {
    return this.cache.get(key, () => compileTemplate(source, TEMPLATE_VARIABLES[type], type));
  }

  /**
   * The customised template when enabled (or, for previews, whenever saved: the console previews
   * what it edits), else the default in `locale`.
   */
  private effective(
    tenantId: string,
    type: EmailTemplateType,
    stored: StoredTemplate | null,
    locale: TemplateLocale,
    savedEvenIfDisabled: boolean,
  ): EffectiveTemplate {
    if (stored !== null && (stored.customizeEnabled || savedEvenIfDisabled)) {
      return {
        source: { subject: stored.subject, sender: stored.sender, content: stored.content },
        expiresIn: stored.expiresIn ?? defaultExpiresIn(type),
        redirectTo: stored.redirectTo ?? undefined,
        cacheKey: `${tenantId}\u0000${type}\u0000${stored.version}`,
      };
    }
    const d = defaultTemplate(type, locale);
    return {
      source: { subject: d.subject, sender: d.sender, content: d.content },
      expiresIn: stored?.expiresIn ?? defaultExpiresIn(type),
      redirectTo: stored?.redirectTo ?? undefined,
      cacheKey: `\u0000default\u0000${type}\u0000${locale}`,
    };
  }

  /** Variables filled in from the template, then the caller's data over them. */
  private values(
    type: EmailTemplateType,
    effective: Pick<EffectiveTemplate, 'expiresIn' | 'redirectTo'>,
    senderSource: string,
    data: Readonly<Record<string, TemplateValue>>,
    recipient: string,
  ): Record<string, TemplateValue | undefined> {
    const own: Record<string, TemplateValue | undefined> = {
      // The sender is the app's display name unless it is itself a template.
      appName: senderSource.includes('{{') ? DEFAULT_SENDER : senderSource || DEFAULT_SENDER,
      email: recipient,
      expiresIn: effective.expiresIn,
      redirectTo: effective.redirectTo,
    };
    const out: Record<string, TemplateValue | undefined> = {};
    for (const name of TEMPLATE_VARIABLES[type]) {
      out[name] = Object.prototype.hasOwnProperty.call(data, name) ? data[name] : own[name];
    }
    return out;
  }
}
