import type { SchemaObject } from '@nestjs/swagger';
import { EMAIL_TEMPLATE_TYPES, TEMPLATE_LOCALES } from './email-template-type.enum';

/** OpenAPI schemas of the template answers and of `template` in a send request. */
export const TEMPLATE_API_SCHEMAS: Record<string, SchemaObject> = {
  EmailTemplate: {
    type: 'object',
    description: "authing-node-sdk's EmailTemplateDto",
    required: ['customizeEnabled', 'type', 'name', 'subject', 'sender', 'content'],
    properties: {
      customizeEnabled: { type: 'boolean' },
      type: { type: 'string', enum: [...EMAIL_TEMPLATE_TYPES] },
      name: { type: 'string' },
      subject: { type: 'string', description: 'Handlebars, plain text' },
      sender: { type: 'string', description: 'From display name (Handlebars, plain text)' },
      content: { type: 'string', description: 'Handlebars HTML' },
      expiresIn: { type: 'integer', description: 'Minutes' },
      redirectTo: { type: 'string' },
      tplEngine: { type: 'string', enum: ['handlebar'] },
    },
  },
  EmailTemplateCategory: {
    type: 'object',
    required: ['title', 'titleEn', 'desc', 'descEn'],
    properties: {
      title: { type: 'string' },
      titleEn: { type: 'string' },
      desc: { type: 'string' },
      descEn: { type: 'string' },
    },
  },
  EmailTemplates: {
    type: 'object',
    required: ['templates', 'categories'],
    properties: {
      templates: { type: 'array', items: { $ref: '#/components/schemas/EmailTemplate' } },
      categories: {
        type: 'array',
        items: { $ref: '#/components/schemas/EmailTemplateCategory' },
      },
    },
  },
  EmailTemplatePreview: {
    type: 'object',
    required: ['content', 'subject', 'sender'],
    properties: {
      content: { type: 'string', description: 'Rendered HTML' },
      subject: { type: 'string' },
      sender: { type: 'string' },
    },
  },
  EmailTemplateHistory: {
    type: 'object',
    required: ['list', 'nextCursor'],
    properties: {
      list: {
        type: 'array',
        items: {
          type: 'object',
          required: ['id', 'type', 'version', 'action', 'actorKeyId', 'changes', 'createdAt'],
          properties: {
            id: { type: 'string' },
            type: { type: 'string', enum: [...EMAIL_TEMPLATE_TYPES] },
            version: { type: 'integer' },
            action: { type: 'string', enum: ['create', 'update'] },
            actorKeyId: { type: 'string', nullable: true },
            changes: {
              type: 'object',
              description:
                'Field → { old, new }; content → { old, new } of { bytes, sha256 }, never the text.',
            },
            createdAt: { type: 'string', format: 'date-time' },
          },
        },
      },
      nextCursor: {
        type: 'string',
        nullable: true,
        description: 'Pass as `cursor` for the next (older) page; null on the last page.',
      },
    },
  },
  EmailTemplateRequest: {
    type: 'object',
    additionalProperties: false,
    required: ['type'],
    description:
      'Send by template instead of subject/text/html: rendered at accept time with the tenant template (when customizeEnabled) or the default.',
    properties: {
      type: { type: 'string', enum: [...EMAIL_TEMPLATE_TYPES] },
      data: {
        type: 'object',
        description: "The type's variables (README); strings, numbers or booleans",
        additionalProperties: {
          oneOf: [{ type: 'string' }, { type: 'number' }, { type: 'boolean' }],
        },
        example: { code: '493817' },
      },
      // Default in the description, not `default`: openapi-typescript makes a property with a default required.
      locale: { type: 'string', enum: [...TEMPLATE_LOCALES], description: 'Default zh-CN.' },
    },
  },
};
