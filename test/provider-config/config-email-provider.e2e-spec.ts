import {
  aliBody,
  aSecret,
  configure,
  createKey,
  customBody,
  entriesOf,
  failingFields,
  getProvider,
  history,
  MASK,
  newTenantId,
  qqBody,
  rootHeaders,
  sendGridBody,
  type TestKey,
  verify,
} from '../factories/provider-config';
import { query } from '../support/database';
import { http, startTestApp, type TestApp } from '../support/test-app';

const ALL_SCOPES = ['provider:write', 'provider:read'];

describe('POST /api/v3/config-email-provider and GET /api/v3/get-email-provider', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => {
    await t.close();
  });

  const newKey = (scopes = ALL_SCOPES, tenant = newTenantId()): Promise<TestKey> =>
    createKey(t, tenant, scopes);

  describe('validation (answered as HTTP 200 with statusCode 400 naming every failing field)', () => {
    const smtp = customBody().smtpConfig as Record<string, unknown>;
    const cases: Array<[string, unknown, string[]]> = [
      ['an empty body', {}, ['enabled', 'type']],
      ['an unknown type', { type: 'mailgun', enabled: true }, ['type']],
      ['a missing enabled', { type: 'custom', smtpConfig: smtp }, ['enabled']],
      ['enabled custom without smtpConfig', { type: 'custom', enabled: true }, ['smtpConfig']],
      [
        'enabled sendgrid without sendGridConfig',
        { type: 'sendgrid', enabled: true },
        ['sendGridConfig'],
      ],
      ['enabled ali without aliExmailConfig', { type: 'ali', enabled: true }, ['aliExmailConfig']],
      [
        'enabled qq without tencentExmailConfig',
        { type: 'qq', enabled: true },
        ['tencentExmailConfig'],
      ],
      [
        'an SMTP block missing every required field',
        { type: 'custom', enabled: true, smtpConfig: {} },
        ['smtpConfig.senderPass', 'smtpConfig.smtp_host', 'smtpConfig.smtp_port'],
      ],
      [
        'an SMTP login with a line break',
        { type: 'custom', enabled: true, smtpConfig: { ...smtp, sender: 'user\nname' } },
        ['smtpConfig.sender'],
      ],
      [
        'port 0',
        { type: 'custom', enabled: true, smtpConfig: { ...smtp, smtp_port: 0 } },
        ['smtpConfig.smtp_port'],
      ],
      [
        'port 65536',
        { type: 'custom', enabled: true, smtpConfig: { ...smtp, smtp_port: 65536 } },
        ['smtpConfig.smtp_port'],
      ],
      [
        'a port string',
        { type: 'custom', enabled: true, smtpConfig: { ...smtp, smtp_port: '25' } },
        ['smtpConfig.smtp_port'],
      ],
      [
        'a host that is not a host name',
        { type: 'custom', enabled: true, smtpConfig: { ...smtp, smtp_host: 'mail server!' } },
        ['smtpConfig.smtp_host'],
      ],
      [
        'secure as a string',
        { type: 'custom', enabled: true, smtpConfig: { ...smtp, secure: 'true' } },
        ['smtpConfig.secure'],
      ],
      ['enabled as a string', { type: 'custom', enabled: 'yes', smtpConfig: smtp }, ['enabled']],
      [
        'SendGrid without apikey',
        { type: 'sendgrid', enabled: true, sendGridConfig: { sender: 'a@example.test' } },
        ['sendGridConfig.apikey'],
      ],
      [
        'SendGrid with a bad sender',
        { type: 'sendgrid', enabled: true, sendGridConfig: { sender: 'nobody', apikey: 'SG.x' } },
        ['sendGridConfig.sender'],
      ],
      [
        'Ali without sender',
        { type: 'ali', enabled: true, aliExmailConfig: { senderPass: 'x' } },
        ['aliExmailConfig.sender'],
      ],
      [
        'Tencent without senderPass',
        { type: 'qq', enabled: true, tencentExmailConfig: { sender: 'a@example.test' } },
        ['tencentExmailConfig.senderPass'],
      ],
      [
        'a disabled config with an invalid block',
        { type: 'custom', enabled: false, smtpConfig: { ...smtp, smtp_port: -1 } },
        ['smtpConfig.smtp_port'],
      ],
      [
        'an unknown top-level field',
        { type: 'custom', enabled: false, provider: 'x' },
        ['provider'],
      ],
      [
        'an unknown field in a block',
        { type: 'custom', enabled: true, smtpConfig: { ...smtp, user: 'x' } },
        ['smtpConfig.user'],
      ],
      [
        'many problems at once',
        {
          type: 'custom',
          enabled: true,
          smtpConfig: { smtp_host: 'a b', smtp_port: 99999, sender: 'x\r', senderPass: '' },
          extra: true,
        },
        [
          'extra',
          'smtpConfig.sender',
          'smtpConfig.senderPass',
          'smtpConfig.smtp_host',
          'smtpConfig.smtp_port',
        ],
      ],
    ];

    it.each(cases)('rejects %s', async (_name, body, fields) => {
      const key = await newKey();
      const res = await configure(t, key.token, body);
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({
        statusCode: 400,
        apiCode: 40000,
        requestId: expect.any(String),
      });
      expect(failingFields(res)).toEqual(fields);
      for (const field of fields) {
        expect(res.body.message).toContain(field);
      }
      // Nothing was stored.
      expect((await getProvider(t, key.token)).body.data).toBeNull();
    });

    it('rejects a body that is not JSON', async () => {
      const key = await newKey();
      const res = await http(t.baseUrl, 'POST', '/api/v3/config-email-provider', {
        token: key.token,
        rawBody: '{"type":',
        headers: { 'content-type': 'application/json' },
      });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ statusCode: 400 });
    });
  });

  it('answers data null before any config was saved', async () => {
    const key = await newKey();
    const res = await getProvider(t, key.token);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      statusCode: 200,
      message: 'success',
      requestId: expect.any(String),
      data: null,
    });
  });

  it('round-trips a custom SMTP config as GenAuth’s EmailProviderDto with the password masked', async () => {
    const key = await newKey();
    const body = customBody({ host: 'smtp.example.test', port: 587, secure: false });
    const saved = await configure(t, key.token, body);
    expect(saved.status).toBe(200);
    const expected = {
      enabled: true,
      type: 'custom',
      smtpConfig: { ...(body.smtpConfig as object), senderPass: MASK },
      fallbackOnFailure: false,
      concurrency: { maxConnections: 3, maxMessagesPerConnection: 100 },
      rateLimit: null,
      version: 1,
      lastVerifiedAt: null,
      lastVerifyError: null,
      updatedAt: expect.any(String),
      // A new config's circuit: closed since the save, nothing failed yet.
      health: {
        state: 'closed',
        since: expect.any(String),
        consecutiveFailures: 0,
        lastError: null,
        reason: null,
        retryAt: null,
      },
    };
    expect(saved.body).toEqual({
      statusCode: 200,
      message: 'success',
      requestId: expect.any(String),
      data: expected,
    });
    expect((await getProvider(t, key.token)).body.data).toEqual(expected);
  });

  it('stores the concurrency extension, shows what applies, and keeps it when a body leaves it out', async () => {
    const tenant = newTenantId();
    const key = await newKey(ALL_SCOPES, tenant);
    const tuned = await configure(t, key.token, {
      ...customBody(),
      concurrency: { maxConnections: 64, maxMessagesPerConnection: 500 },
    });
    expect(tuned.body.data.concurrency).toEqual({
      maxConnections: 64,
      maxMessagesPerConnection: 500,
    });
    const [row] = await query(
      t.db.url,
      `SELECT concurrency FROM email_provider_configs WHERE tenant_id = $1`,
      [tenant],
    );
    expect(row.concurrency).toEqual({ maxConnections: 64, maxMessagesPerConnection: 500 });
    // GenAuth's SDK never sends the extension: the stored settings stay.
    await configure(t, key.token, { ...customBody(), enabled: false });
    expect((await getProvider(t, key.token)).body.data.concurrency.maxConnections).toBe(64);
    const sendGrid = await configure(t, key.token, {
      ...sendGridBody(aSecret('sendgrid')),
      concurrency: { maxConnections: 32 },
    });
    expect(sendGrid.body.data.concurrency).toEqual({
      maxConnections: 32,
      maxMessagesPerConnection: null,
    });
    const bad = await configure(t, key.token, {
      ...customBody(),
      concurrency: { maxConnections: 1000, maxMessagesPerConnection: 0 },
    });
    expect(bad.body.statusCode).toBe(400);
    expect(failingFields(bad)).toEqual([
      'concurrency.maxConnections',
      'concurrency.maxMessagesPerConnection',
    ]);
  });

  it('stores the rateLimit extension, keeps it when a body leaves it out, removes it with null, and names every bad field', async () => {
    const tenant = newTenantId();
    const key = await newKey(ALL_SCOPES, tenant);
    const limited = await configure(t, key.token, {
      ...customBody(),
      rateLimit: { perSecond: 0.5, perDay: 1000 },
    });
    expect(limited.body.data.rateLimit).toEqual({ perSecond: 0.5, perDay: 1000 });
    const [row] = await query(
      t.db.url,
      `SELECT rate_limit FROM email_provider_configs WHERE tenant_id = $1`,
      [tenant],
    );
    expect(row.rate_limit).toEqual({ perSecond: 0.5, perDay: 1000 });
    // GenAuth's SDK never sends the extension: the stored limit stays.
    await configure(t, key.token, { ...customBody(), enabled: false });
    expect((await getProvider(t, key.token)).body.data.rateLimit).toEqual({
      perSecond: 0.5,
      perDay: 1000,
    });
    const bad = await configure(t, key.token, {
      ...customBody(),
      rateLimit: { perSecond: 5000, perDay: 0, perHour: 10 },
    });
    expect(bad.body.statusCode).toBe(400);
    expect(failingFields(bad)).toEqual([
      'rateLimit.perDay',
      'rateLimit.perHour',
      'rateLimit.perSecond',
    ]);
    const notNumbers = await configure(t, key.token, {
      ...customBody(),
      rateLimit: { perSecond: '10', perDay: 2.5 },
    });
    expect(notNumbers.body.statusCode).toBe(400);
    expect(failingFields(notNumbers)).toEqual(['rateLimit.perDay', 'rateLimit.perSecond']);
    const notObject = await configure(t, key.token, { ...customBody(), rateLimit: 10 });
    expect(failingFields(notObject)).toEqual(['rateLimit']);
    // A refused body changed nothing.
    expect((await getProvider(t, key.token)).body.data.rateLimit).toEqual({
      perSecond: 0.5,
      perDay: 1000,
    });
    const removed = await configure(t, key.token, { ...customBody(), rateLimit: null });
    expect(removed.body.data.rateLimit).toBeNull();
  });

  it.each([
    ['sendgrid', sendGridBody, 'sendGridConfig', 'apikey'],
    ['ali', aliBody, 'aliExmailConfig', 'senderPass'],
    ['qq', qqBody, 'tencentExmailConfig', 'senderPass'],
  ] as const)(
    'round-trips a %s config with its secret masked',
    async (type, make, block, field) => {
      const key = await newKey();
      const secret = aSecret(type);
      const body = make(secret);
      await configure(t, key.token, body);
      const read = await getProvider(t, key.token);
      expect(read.body.data).toMatchObject({
        type,
        enabled: true,
        [block]: { ...(body[block] as object), [field]: MASK },
      });
      expect(read.text).not.toContain(secret);
    },
  );

  it('saves a disabled config without any block, and keeps every given block', async () => {
    const key = await newKey();
    const off = await configure(t, key.token, { type: 'custom', enabled: false });
    expect(off.body.data).toMatchObject({ type: 'custom', enabled: false, version: 1 });
    expect(off.body.data).not.toHaveProperty('smtpConfig');
    const all = await configure(t, key.token, {
      ...sendGridBody(),
      smtpConfig: customBody().smtpConfig,
      aliExmailConfig: aliBody().aliExmailConfig,
    });
    expect(all.body.data).toMatchObject({
      type: 'sendgrid',
      version: 2,
      smtpConfig: { senderPass: MASK },
      sendGridConfig: { apikey: MASK },
      aliExmailConfig: { senderPass: MASK },
    });
    expect(all.body.data).not.toHaveProperty('tencentExmailConfig');
  });

  it('stores no plaintext secret anywhere: config rows, audit rows, logs', async () => {
    const key = await newKey();
    const secrets = [
      aSecret('smtp'),
      `SG.${aSecret('key')}`,
      aSecret('ali'),
      aSecret('qq'),
      aSecret('smtp2'),
    ];
    await configure(t, key.token, {
      ...customBody({ pass: secrets[0] }),
      sendGridConfig: { sender: 'noreply@example.test', apikey: secrets[1] },
      aliExmailConfig: { sender: 'a@example.test', senderPass: secrets[2] },
      tencentExmailConfig: { sender: 'q@example.test', senderPass: secrets[3] },
    });
    await configure(t, key.token, customBody({ host: 'smtp2.example.test', pass: secrets[4] }));
    const rows = await query<{ row: string }>(
      t.db.url,
      `SELECT row_to_json(c)::text AS row FROM email_provider_configs c
       UNION ALL SELECT row_to_json(a)::text FROM provider_config_audit a`,
    );
    expect(rows.length).toBeGreaterThanOrEqual(3);
    const dump = rows.map((r) => r.row).join('\n');
    for (const secret of secrets) {
      expect(dump).not.toContain(secret);
      expect(t.logs.join('\n')).not.toContain(secret);
    }
    // The secrets are there, as SecretCipher ciphertext (`<key id>:<iv>:<tag>:<data>`).
    const [stored] = await query<{ pass: string }>(
      t.db.url,
      `SELECT config->'smtpConfig'->>'senderPass' AS pass FROM email_provider_configs
        WHERE updated_by = $1`,
      [key.id],
    );
    expect(stored.pass).toMatch(/^[\w-]+:[\w-]+:[\w-]+:[\w-]+$/);
  });

  describe('the mask', () => {
    it('keeps the stored secret when a read is posted back as it is', async () => {
      const key = await newKey();
      await configure(t, key.token, customBody());
      const read = await getProvider(t, key.token);
      const again = await configure(t, key.token, read.body.data);
      expect(again.body).toMatchObject({ statusCode: 200, data: { version: 1 } });
      const toggled = await configure(t, key.token, { ...read.body.data, enabled: false });
      expect(toggled.body.data).toMatchObject({
        version: 2,
        enabled: false,
        smtpConfig: { senderPass: MASK },
      });
      const [stored] = await query<{ pass: string }>(
        t.db.url,
        `SELECT config->'smtpConfig'->>'senderPass' AS pass FROM email_provider_configs WHERE updated_by = $1`,
        [key.id],
      );
      expect(stored.pass).not.toBe(MASK);
      expect(stored.pass).toMatch(/^[\w-]+:[\w-]+:[\w-]+:[\w-]+$/);
    });

    it.each([
      ['smtp_host', { smtp_host: 'attacker.example.test' }],
      ['smtp_port', { smtp_port: 2525 }],
      ['sender', { sender: 'other@example.test' }],
    ])('requires the secret again when %s changes (400 SecretRequired)', async (field, change) => {
      const key = await newKey();
      const first = await configure(t, key.token, customBody());
      const res = await configure(t, key.token, {
        ...first.body.data,
        smtpConfig: { ...first.body.data.smtpConfig, ...change },
      });
      expect(res.body).toMatchObject({
        statusCode: 400,
        apiCode: 40002,
        data: {
          errors: [
            {
              field: 'smtpConfig.senderPass',
              messages: [expect.stringContaining(`smtpConfig.${field} changed`)],
            },
          ],
        },
      });
      expect((await getProvider(t, key.token)).body.data.version).toBe(1);
      // With the secret itself, the same change is accepted.
      const ok = await configure(t, key.token, {
        ...first.body.data,
        smtpConfig: { ...first.body.data.smtpConfig, ...change, senderPass: aSecret() },
      });
      expect(ok.body).toMatchObject({ statusCode: 200, data: { version: 2, smtpConfig: change } });
    });

    it('is never stored as a password: the mask with nothing stored answers 400', async () => {
      const key = await newKey();
      const res = await configure(t, key.token, sendGridBody(MASK));
      expect(res.body).toMatchObject({
        statusCode: 400,
        apiCode: 40002,
        data: { errors: [{ field: 'sendGridConfig.apikey' }] },
      });
      expect((await getProvider(t, key.token)).body.data).toBeNull();
      // Nor for a block that was not stored before, next to one that was.
      await configure(t, key.token, customBody());
      const other = await configure(t, key.token, {
        ...aliBody(MASK),
        smtpConfig: (await getProvider(t, key.token)).body.data.smtpConfig,
      });
      expect(other.body).toMatchObject({
        statusCode: 400,
        apiCode: 40002,
        data: { errors: [{ field: 'aliExmailConfig.senderPass' }] },
      });
    });
  });

  describe('version and audit trail', () => {
    it('bumps the version once per change and lists the audit rows newest first, secrets redacted', async () => {
      const key = await newKey();
      const oldPass = aSecret('old');
      const newPass = aSecret('new');
      await configure(t, key.token, customBody({ host: 'smtp1.example.test', pass: oldPass }));
      await configure(t, key.token, customBody({ host: 'smtp2.example.test', pass: newPass }));
      await configure(t, key.token, {
        ...customBody({ host: 'smtp2.example.test', pass: MASK }),
        enabled: false,
        fallbackOnFailure: true,
      });

      const res = await history(t, key.token);
      expect(res.body.statusCode).toBe(200);
      const list = entriesOf(res);
      expect(list.map((e) => [e.version, e.action, e.actorKeyId])).toEqual([
        [3, 'update', key.id],
        [2, 'update', key.id],
        [1, 'create', key.id],
      ]);
      expect(list[0].changes).toEqual({
        enabled: { old: true, new: false },
        fallbackOnFailure: { old: false, new: true },
      });
      expect(list[1].changes).toEqual({
        'smtpConfig.smtp_host': { old: 'smtp1.example.test', new: 'smtp2.example.test' },
        'smtpConfig.senderPass': 'secret changed',
      });
      expect(list[2].changes).toMatchObject({
        type: { old: null, new: 'custom' },
        'smtpConfig.senderPass': 'secret set',
      });
      expect(res.body.data.nextCursor).toBeNull();
      expect(res.text).not.toContain(oldPass);
      expect(res.text).not.toContain(newPass);
      expect((await getProvider(t, key.token)).body.data.version).toBe(3);
    });

    it('pages with limit and cursor', async () => {
      const key = await newKey();
      for (let port = 1; port <= 5; port += 1) {
        await configure(t, key.token, customBody({ port, pass: aSecret() }));
      }
      const first = await history(t, key.token, '?limit=2');
      expect(entriesOf(first).map((e) => e.version)).toEqual([5, 4]);
      const second = await history(t, key.token, `?limit=2&cursor=${first.body.data.nextCursor}`);
      expect(entriesOf(second).map((e) => e.version)).toEqual([3, 2]);
      const last = await history(t, key.token, `?limit=2&cursor=${second.body.data.nextCursor}`);
      expect(last.body.data).toMatchObject({ list: [{ version: 1 }], nextCursor: null });
      const bad = await history(t, key.token, '?limit=1000&cursor=abc');
      expect(bad.body).toMatchObject({ statusCode: 400 });
      expect(failingFields(bad)).toEqual(['cursor', 'limit']);
    });

    it('is atomic under concurrent saves: every change gets its own version and audit row', async () => {
      const key = await newKey();
      const results = await Promise.all(
        Array.from({ length: 8 }, (_, i) =>
          configure(t, key.token, customBody({ port: 1000 + i, pass: aSecret() })),
        ),
      );
      expect(results.map((r) => r.body.statusCode as number)).toEqual(Array(8).fill(200));
      expect(results.map((r) => r.body.data.version as number).sort((a, b) => a - b)).toEqual([
        1, 2, 3, 4, 5, 6, 7, 8,
      ]);
      const audit = await history(t, key.token, '?limit=100');
      expect(entriesOf(audit).map((e) => e.version)).toEqual([8, 7, 6, 5, 4, 3, 2, 1]);
    });

    it('refuses a save based on a stale version (optimistic lock) with 409', async () => {
      const key = await newKey();
      const first = await configure(t, key.token, customBody());
      await configure(t, key.token, { ...first.body.data, enabled: false });
      const stale = await configure(t, key.token, { ...first.body.data, fallbackOnFailure: true });
      expect(stale.body).toMatchObject({ statusCode: 409, apiCode: 40902 });
    });
  });

  describe('authorization', () => {
    it('lets a provider:read key read but not write (403)', async () => {
      const tenant = newTenantId();
      const writer = await newKey(['provider:write'], tenant);
      const reader = await newKey(['provider:read'], tenant);
      const write = await configure(t, reader.token, customBody());
      expect(write.body).toMatchObject({ statusCode: 403, apiCode: 40300 });
      await configure(t, writer.token, customBody());
      expect((await getProvider(t, reader.token)).body.data).toMatchObject({ version: 1 });
      expect((await history(t, reader.token)).body.data.list).toHaveLength(1);
      expect((await getProvider(t, writer.token)).body).toMatchObject({ statusCode: 403 });
      expect((await history(t, writer.token)).body).toMatchObject({ statusCode: 403 });
    });

    it('answers 401 without a key or with a bad one', async () => {
      const none = await http(t.baseUrl, 'GET', '/api/v3/get-email-provider');
      expect(none.status).toBe(200);
      expect(none.body).toMatchObject({ statusCode: 401 });
      const bad = await getProvider(t, 'mgk_0000000000000000.wrong-secret');
      expect(bad.body).toMatchObject({ statusCode: 401 });
    });

    it('keeps tenants apart: B never sees or changes A’s config or history', async () => {
      const a = await newKey();
      const b = await newKey();
      const secret = aSecret('tenant-a');
      await configure(t, a.token, customBody({ pass: secret }));
      expect((await getProvider(t, b.token)).body.data).toBeNull();
      expect((await history(t, b.token)).body.data.list).toEqual([]);
      await configure(t, b.token, sendGridBody());
      expect((await getProvider(t, a.token)).body.data).toMatchObject({
        type: 'custom',
        version: 1,
      });
      expect((await getProvider(t, b.token)).body.data).toMatchObject({
        type: 'sendgrid',
        version: 1,
      });
      expect(JSON.stringify((await getProvider(t, b.token)).body)).not.toContain(secret);
      // A's ciphertext copied into B's row does not decrypt there: it is bound to tenant A.
      await query(
        t.db.url,
        `UPDATE email_provider_configs SET type = 'custom',
            config = (SELECT config FROM email_provider_configs WHERE updated_by = $1)
          WHERE updated_by = $2`,
        [a.id, b.id],
      );
      const stolen = await verify(t, b.token);
      expect(stolen.body.data).toMatchObject({
        ok: false,
        error: { class: 'config', code: 'SECRET_UNREADABLE' },
      });
    });

    it('lets the root key act on the tenant named by x-authing-userpool-id', async () => {
      const tenant = newTenantId();
      const res = await http(t.baseUrl, 'POST', '/api/v3/config-email-provider', {
        headers: rootHeaders(tenant),
        body: customBody(),
      });
      expect(res.body).toMatchObject({ statusCode: 200, data: { version: 1 } });
      const reader = await newKey(['provider:read'], tenant);
      expect((await getProvider(t, reader.token)).body.data).toMatchObject({ type: 'custom' });
      const [audit] = await query<{ actor_key_id: string }>(
        t.db.url,
        'SELECT actor_key_id FROM provider_config_audit WHERE tenant_id = $1',
        [tenant],
      );
      expect(audit.actor_key_id).toBe('root_test');
    });
  });
});
