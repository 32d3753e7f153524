import { ConfigEmailProviderDto } from 'authing-node-sdk/dist/models/ConfigEmailProviderDto';
import type { EmailProviderRespDto } from 'authing-node-sdk/dist/models/EmailProviderRespDto';
import type { SMTPEmailProviderConfig } from 'authing-node-sdk/dist/models/SMTPEmailProviderConfig';
import {
  BLOCKS,
  bodyOfType,
  createKey,
  MASK,
  newTenantId,
  sdkClient,
} from '../factories/provider-config';
import { startTestApp, type TestApp } from '../support/test-app';

/** GenAuth's own Node SDK (ManagementClient, HMAC-signed requests) against the gateway, unchanged. */
describe('GenAuth SDK: configEmailProvider / getEmailProvider', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => {
    await t.close();
  });

  it.each(['custom', 'sendgrid', 'ali', 'qq'] as const)(
    'saves and reads a %s provider with the secret masked',
    async (type) => {
      const key = await createKey(t, newTenantId(), ['provider:write', 'provider:read']);
      const client = sdkClient(t, key);
      const [block, secretField] = BLOCKS[type];
      const secret = `sdk-${type}-secret-value`;
      const body = bodyOfType(type, secret);

      const saved = await client.configEmailProvider(body as unknown as ConfigEmailProviderDto);
      expect(saved).toMatchObject({
        statusCode: 200,
        message: 'success',
        requestId: expect.any(String),
        data: { type, enabled: true, version: 1, [block]: { [secretField]: MASK } },
      });

      const read = await client.getEmailProvider();
      expect(read.statusCode).toBe(200);
      const expectedBlock = { ...(body[block] as Record<string, unknown>), [secretField]: MASK };
      expect(read.data).toMatchObject({ type, enabled: true, [block]: expectedBlock });
      expect(JSON.stringify(read)).not.toContain(secret);
    },
  );

  it("saves the seed's own sample body verbatim (login `test`, not an address) and reads it back masked", async () => {
    const key = await createKey(t, newTenantId(), ['provider:write', 'provider:read']);
    const client = sdkClient(t, key);
    // The sample of GenAuth's config_email_provider documentation, typed with the SDK's own DTO.
    const seed: ConfigEmailProviderDto = {
      type: ConfigEmailProviderDto.type.CUSTOM,
      enabled: true,
      smtpConfig: {
        smtp_host: 'smtp.example.com',
        smtp_port: 465,
        sender: 'test',
        senderPass: 'passw0rd',
        secure: true,
      },
    };
    const saved: EmailProviderRespDto = await client.configEmailProvider(seed);
    expect(saved).toMatchObject({ statusCode: 200, data: { type: 'custom', enabled: true } });
    const read: EmailProviderRespDto = await client.getEmailProvider();
    expect(read.statusCode).toBe(200);
    const smtpConfig: SMTPEmailProviderConfig | undefined = read.data.smtpConfig;
    expect(smtpConfig).toEqual({ ...seed.smtpConfig, senderPass: MASK });
    expect(JSON.stringify(read)).not.toContain('passw0rd');
  });

  it('resolves (does not throw) with statusCode 400 naming the fields of an invalid body', async () => {
    const key = await createKey(t, newTenantId(), ['provider:write']);
    const result = await sdkClient(t, key).configEmailProvider({
      type: 'custom',
      enabled: true,
      smtpConfig: { smtp_host: 'bad host', smtp_port: 70000, senderPass: 'x' },
    } as unknown as ConfigEmailProviderDto);
    expect(result).toMatchObject({ statusCode: 400, apiCode: 40000 });
    const fields = (result.data as unknown as { errors: Array<{ field: string }> }).errors.map(
      (e) => e.field,
    );
    expect(fields.sort()).toEqual(['smtpConfig.smtp_host', 'smtpConfig.smtp_port']);
    expect(result.message).toEqual(expect.stringContaining('smtpConfig.smtp_host'));
  });

  it('resolves with statusCode 401 for a wrong secret', async () => {
    const key = await createKey(t, newTenantId(), ['provider:read']);
    const client = sdkClient(t, { id: key.id, secret: `${key.secret}x` });
    const result = await client.getEmailProvider();
    expect(result).toMatchObject({ statusCode: 401, data: null });
  });

  it('resolves with statusCode 403 when the key lacks provider:write', async () => {
    const key = await createKey(t, newTenantId(), ['provider:read']);
    const result = await sdkClient(t, key).configEmailProvider(
      bodyOfType('sendgrid', 'SG.never-stored') as unknown as ConfigEmailProviderDto,
    );
    expect(result).toMatchObject({ statusCode: 403, apiCode: 40300 });
  });

  it('reads data null before any config was saved', async () => {
    const key = await createKey(t, newTenantId(), ['provider:read']);
    await expect(sdkClient(t, key).getEmailProvider()).resolves.toMatchObject({
      statusCode: 200,
      data: null,
    });
  });
});
