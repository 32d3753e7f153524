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
