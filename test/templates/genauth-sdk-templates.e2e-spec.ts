import { EmailTemplateDto } from 'authing-node-sdk/dist/models/EmailTemplateDto';
import { PreviewEmailTemplateDto } from 'authing-node-sdk/dist/models/PreviewEmailTemplateDto';
import { UpdateEmailTemplateDto } from 'authing-node-sdk/dist/models/UpdateEmailTemplateDto';
import { EMAIL_TEMPLATE_TYPES } from '../../src/templates/email-template-type.enum';
import { createKey, newTenantId, sdkClient } from '../factories/provider-config';
import { query } from '../support/database';
import { http, startTestApp, type TestApp } from '../support/test-app';

const CUSTOM: UpdateEmailTemplateDto = {
  type: UpdateEmailTemplateDto.type.LOGIN_VERIFY_CODE,
  customizeEnabled: true,
  name: 'Sign-in code',
  subject: 'Your {{appName}} sign-in code',
  sender: 'Acme Sign-in',
  content: '<p>Hello {{email}}, your code is <b>{{code}}</b> ({{expiresIn}} min).</p>',
  expiresIn: 10,
  tplEngine: UpdateEmailTemplateDto.tplEngine.HANDLEBAR,
};

/** GenAuth's own Node SDK (ManagementClient, HMAC-signed requests) against the template routes. */
describe('GenAuth SDK: getEmailTemplates / updateEmailTemplate / previewEmailTemplate', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => {
    await t.close();
  });

  it("knows exactly the SDK's 15 template types", () => {
    expect([...EMAIL_TEMPLATE_TYPES]).toEqual(Object.values(UpdateEmailTemplateDto.type));
    expect(Object.values(PreviewEmailTemplateDto.type)).toEqual(
      Object.values(UpdateEmailTemplateDto.type),
    );
  });

  it('lists all 15 types with defaults and categories', async () => {
    const key = await createKey(t, newTenantId(), ['provider:read']);
    const res = await sdkClient(t, key).getEmailTemplates();
    expect(res).toMatchObject({ statusCode: 200, message: 'success' });
    expect(res.data.templates.map((x) => x.type)).toEqual(
      Object.values(UpdateEmailTemplateDto.type),
    );
    for (const template of res.data.templates) {
      expect(template).toMatchObject({
        customizeEnabled: false,
        name: expect.any(String),
        subject: expect.any(String),
        sender: 'mailgate',
        content: expect.stringContaining('<html lang="zh-CN">'),
        tplEngine: 'handlebar',
      });
    }
    expect(res.data.categories.length).toBeGreaterThan(0);
    for (const category of res.data.categories) {
      expect(category).toEqual({
        title: expect.any(String),
        titleEn: expect.any(String),
        desc: expect.any(String),
        descEn: expect.any(String),
      });
    }
    const english = await http(t.baseUrl, 'GET', '/api/v3/get-email-templates?locale=en', {
      token: key.token,
    });
    expect(english.body.data.templates[0].content).toContain('<html lang="en">');
  });

  it('saves a custom LOGIN_VERIFY_CODE, lists it, and audits the change', async () => {
    const tenant = newTenantId();
    const key = await createKey(t, tenant, ['provider:read', 'provider:write']);
    const client = sdkClient(t, key);
    const saved = await client.updateEmailTemplate(CUSTOM);
    expect(saved).toMatchObject({ statusCode: 200, data: CUSTOM });

    const listed = await client.getEmailTemplates();
    const login = listed.data.templates.find(
      (x) => x.type === EmailTemplateDto.type.LOGIN_VERIFY_CODE,
    );
    expect(login).toEqual(CUSTOM);
    expect(listed.data.templates.filter((x) => x.customizeEnabled)).toHaveLength(1);

    // The same body again changes nothing; a new subject is a second audited version.
    await client.updateEmailTemplate(CUSTOM);
    await client.updateEmailTemplate({ ...CUSTOM, subject: 'Code for {{appName}}' });
    const audit = await query(
      t.db.url,
      'SELECT type, version, action, actor_key_id, changes FROM email_template_audit WHERE tenant_id = $1 ORDER BY id',
      [tenant],
    );
    expect(audit).toEqual([
      {
        type: 'LOGIN_VERIFY_CODE',
        version: 1,
        action: 'create',
        actor_key_id: key.id,
        changes: expect.objectContaining({
          customizeEnabled: { old: null, new: true },
          content: { old: null, new: { bytes: expect.any(Number), sha256: expect.any(String) } },
        }),
      },
      {
        type: 'LOGIN_VERIFY_CODE',
        version: 2,
        action: 'update',
        actor_key_id: key.id,
        changes: { subject: { old: CUSTOM.subject, new: 'Code for {{appName}}' } },
      },
    ]);
  });

  it('previews the saved template and an unsaved edit with sample values', async () => {
    const key = await createKey(t, newTenantId(), ['provider:read', 'provider:write']);
    const client = sdkClient(t, key);
    await client.updateEmailTemplate(CUSTOM);

    const saved = await client.previewEmailTemplate({
      type: PreviewEmailTemplateDto.type.LOGIN_VERIFY_CODE,
    });
    expect(saved).toMatchObject({
      statusCode: 200,
      data: {
        subject: 'Your Acme Sign-in sign-in code',
        sender: 'Acme Sign-in',
        content: '<p>Hello user@example.com, your code is <b>123456</b> (10 min).</p>',
      },
    });

    const edit = await client.previewEmailTemplate({
      type: PreviewEmailTemplateDto.type.LOGIN_VERIFY_CODE,
      content: '<h1>{{code}}</h1>',
      subject: 'Edited',
      expiresIn: 3,
    });
    expect(edit.data).toEqual({
      content: '<h1>123456</h1>',
      subject: 'Edited',
      sender: 'Acme Sign-in',
    });
    // The preview saved nothing.
    const listed = await client.getEmailTemplates();
    expect(
      listed.data.templates.find((x) => x.type === EmailTemplateDto.type.LOGIN_VERIFY_CODE)
        ?.content,
    ).toBe(CUSTOM.content);
  });

  it('resolves with statusCode 400 naming tplEngine when the template is ejs', async () => {
    const key = await createKey(t, newTenantId(), ['provider:read', 'provider:write']);
    const client = sdkClient(t, key);
    const res = await client.updateEmailTemplate({
      ...CUSTOM,
      content: '<p><%= process.env.MAILGATE_SECRET_KEY %></p>',
      tplEngine: UpdateEmailTemplateDto.tplEngine.EJS,
    });
    expect(res).toMatchObject({ statusCode: 400, apiCode: 40000 });
    expect(res.message).toContain('tplEngine');
    expect(res.message).toContain('arbitrary JavaScript');
    const preview = await client.previewEmailTemplate({
      type: PreviewEmailTemplateDto.type.LOGIN_VERIFY_CODE,
      tplEngine: PreviewEmailTemplateDto.tplEngine.EJS,
    });
    expect(preview).toMatchObject({ statusCode: 400 });
    const listed = await client.getEmailTemplates();
    expect(listed.data.templates.every((x) => !x.customizeEnabled)).toBe(true);
  });

  it('answers 400 with the line and column of a template that does not compile', async () => {
    const key = await createKey(t, newTenantId(), ['provider:write']);
    const res = await sdkClient(t, key).updateEmailTemplate({
      ...CUSTOM,
      content: '<p>\n  {{#if code}}{{code}}{{/iff}}\n</p>',
    });
    expect(res).toMatchObject({ statusCode: 400 });
    const errors = (res.data as unknown as { errors: Array<{ field: string; messages: string[] }> })
      .errors;
    expect(errors).toEqual([
      {
        field: 'content',
        messages: [expect.stringMatching(/^does not compile at line 2, column \d+/)],
      },
    ]);
  });

  it('answers 400 naming an unknown variable at save', async () => {
    const key = await createKey(t, newTenantId(), ['provider:write']);
    const res = await sdkClient(t, key).updateEmailTemplate({
      ...CUSTOM,
      subject: 'Hi {{nickname}}',
    });
    expect(res).toMatchObject({ statusCode: 400 });
    expect(res.message).toMatch(/subject \(line 1, column 4: unknown variable "nickname"/);
  });

  it('answers 400 for content over 256 KiB', async () => {
    const key = await createKey(t, newTenantId(), ['provider:write']);
    const res = await http(t.baseUrl, 'POST', '/api/v3/update-email-template', {
      token: key.token,
      body: { ...CUSTOM, content: `<p>{{code}}</p>${'x'.repeat(256 * 1024)}` },
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      statusCode: 400,
      data: { errors: [{ field: 'content', messages: [expect.stringMatching(/256 KiB/)] }] },
    });
  });

  it('answers 400 naming every bad field, and 403 without provider:write', async () => {
    const key = await createKey(t, newTenantId(), ['provider:read']);
    const bad = await http(t.baseUrl, 'POST', '/api/v3/preview-email-template', {
      token: key.token,
      body: { type: 'NOPE', subject: 'a\r\nBcc: x@example.com', expiresIn: 0 },
    });
    expect(bad.body.statusCode).toBe(400);
    expect(bad.body.data.errors.map((e: { field: string }) => e.field).sort()).toEqual([
      'expiresIn',
      'subject',
      'type',
    ]);
    const denied = await sdkClient(t, key).updateEmailTemplate(CUSTOM);
    expect(denied).toMatchObject({ statusCode: 403 });
  });
});
