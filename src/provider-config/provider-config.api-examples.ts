import type { ApiResponseExamples, ExamplesObject } from '@nestjs/swagger';
import { SECRET_MASK } from './provider-config.constants';

/** GenAuth's config_email_provider bodies (the seed's four provider types, and a disabled one). */
export const CONFIG_EMAIL_PROVIDER_EXAMPLES: ExamplesObject = {
  custom: {
    summary: 'Custom SMTP (type custom)',
    value: {
      type: 'custom',
      enabled: true,
      smtpConfig: {
        smtp_host: 'smtp.example.com',
        smtp_port: 465,
        sender: 'noreply@example.com',
        senderPass: 'app-password',
        secure: true,
      },
    },
  },
  sendgrid: {
    summary: 'SendGrid Web API (type sendgrid)',
    value: {
      type: 'sendgrid',
      enabled: true,
      sendGridConfig: { sender: 'noreply@example.com', apikey: 'SG.xxxxxxxx.yyyyyyyy' },
    },
  },
  ali: {
    summary: 'Alibaba enterprise mail (type ali)',
    value: {
      type: 'ali',
      enabled: true,
      aliExmailConfig: { sender: 'noreply@example.com', senderPass: 'app-password' },
    },
  },
  qq: {
    summary: 'Tencent enterprise mail (type qq)',
    value: {
      type: 'qq',
      enabled: true,
      tencentExmailConfig: { sender: 'noreply@example.com', senderPass: 'app-password' },
    },
  },
  keepSecret: {
    summary: 'Re-save with the mask: the stored password is kept (host, port and login unchanged)',
    value: {
      type: 'custom',
      enabled: true,
      smtpConfig: {
        smtp_host: 'smtp.example.com',
        smtp_port: 465,
        sender: 'noreply@example.com',
        senderPass: SECRET_MASK,
        secure: true,
      },
      fallbackOnFailure: true,
    },
  },
  concurrency: {
    summary:
      'A distant provider: 32 SMTP connections per replica, each replaced after 200 messages (mailgate extension)',
    value: {
      type: 'custom',
      enabled: true,
      smtpConfig: {
        smtp_host: 'smtp.example.com',
        smtp_port: 465,
        sender: 'noreply@example.com',
        senderPass: SECRET_MASK,
        secure: true,
      },
      concurrency: { maxConnections: 32, maxMessagesPerConnection: 200 },
    },
  },
  rateLimit: {
    summary:
      'At most 10 messages a second and 10,000 a day, across all replicas (mailgate extension)',
    value: {
      type: 'ali',
      enabled: true,
      aliExmailConfig: { sender: 'noreply@example.com', senderPass: SECRET_MASK },
      rateLimit: { perSecond: 10, perDay: 10000 },
    },
  },
  disabled: {
    summary: 'Disabled: the built-in mailer sends',
    value: { type: 'custom', enabled: false },
  },
};

const requestId = '5d8f3c1e-8a2b-4c6d-9e0f-1a2b3c4d5e6f';

/** The answer to the custom SMTP example: secrets masked, mailgate's extras included. */
export const EMAIL_PROVIDER_RESPONSE_EXAMPLES: Record<string, ApiResponseExamples> = {
  saved: {
    summary: 'Saved (secrets masked)',
    value: {
      statusCode: 200,
      message: 'success',
      requestId,
      data: {
        enabled: true,
        type: 'custom',
        smtpConfig: {
          smtp_host: 'smtp.example.com',
          smtp_port: 465,
          sender: 'noreply@example.com',
          senderPass: SECRET_MASK,
          secure: true,
        },
        fallbackOnFailure: false,
        concurrency: { maxConnections: 3, maxMessagesPerConnection: 100 },
        rateLimit: null,
        version: 1,
        lastVerifiedAt: null,
        lastVerifyError: null,
        updatedAt: '2026-01-01T00:00:00.000Z',
        health: {
          state: 'closed',
          since: '2026-01-01T00:00:00.000Z',
          consecutiveFailures: 0,
          lastError: null,
          reason: null,
          retryAt: null,
        },
      },
    },
  },
  invalid: {
    summary: 'Validation failed (HTTP 200, as GenAuth)',
    value: {
      statusCode: 400,
      message: 'Validation failed: smtpConfig.smtp_port (smtp_port must not be greater than 65535)',
      apiCode: 40000,
      requestId,
      data: {
        errors: [
          {
            field: 'smtpConfig.smtp_port',
            messages: ['smtp_port must not be greater than 65535'],
          },
        ],
      },
    },
  },
};
