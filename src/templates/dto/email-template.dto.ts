import type { EmailTemplateType, TplEngine } from '../email-template-type.enum';

/** authing-node-sdk's `EmailTemplateDto`, field for field. */
export interface EmailTemplateDto {
  customizeEnabled: boolean;
  type: EmailTemplateType;
  name: string;
  subject: string;
  sender: string;
  content: string;
  expiresIn?: number;
  redirectTo?: string;
  tplEngine?: TplEngine;
}

/** authing-node-sdk's `EmailTemplateCategoryDto`. */
export interface EmailTemplateCategoryDto {
  title: string;
  titleEn: string;
  desc: string;
  descEn: string;
}

/** authing-node-sdk's `GetEmailTemplatesDataDto`. */
export interface GetEmailTemplatesDataDto {
  templates: EmailTemplateDto[];
  categories: EmailTemplateCategoryDto[];
}

/** authing-node-sdk's `PreviewEmailTemplateDataDto`. */
export interface PreviewEmailTemplateDataDto {
  content: string;
  subject: string;
  sender: string;
}

/** One save of one template type (`email_template_audit`); content only as size and digest. */
export interface EmailTemplateAuditEntryDto {
  id: string;
  type: EmailTemplateType;
  version: number;
  action: 'create' | 'update';
  actorKeyId: string | null;
  /** Field → `{ old, new }`; `content` → `{ old, new }` of `{ bytes, sha256 }`, never the text. */
  changes: Record<string, unknown>;
  createdAt: string;
}

/** Answer of GET /api/v3/email-template-history. */
export interface EmailTemplateHistoryDto {
  list: EmailTemplateAuditEntryDto[];
  /** Pass as `cursor` for the next (older) page; null on the last page. */
  nextCursor: string | null;
}
