import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import {
  loadMailSendSchema,
  MAIL_SEND_SCHEMA_PATH,
  SENDGRID_MAIL_SEND_PATH,
  startSendGridTestServer,
  validateMailSendBody,
  type SendGridTestServer,
} from '../../../test/support/sendgrid';

/** The SendGrid test servers validate against SendGrid's published schema: proof it is live. */
describe("SendGrid's published mail/send schema in the test servers", () => {
  const valid = {
    personalizations: [{ to: [{ email: 'a@example.com' }] }],
    from: { email: 'b@example.com' },
    subject: 's',
    content: [{ type: 'text/plain', value: 'x' }],
    custom_args: { mailgate_id: '0190d2a8-7c1e-7000-8000-000000000001' },
  };
  /** Breaks only what the schema describes: the API rules of the hand-written checks all pass. */
  const schemaOnlyInvalid = {
    ...valid,
    send_at: 'tomorrow',
    categories: Array.from({ length: 11 }, (_, i) => `c${i}`),
    ip_pool_name: 'x',
    asm: { group_id: 'one' },
  };

  async function post(server: SendGridTestServer, body: unknown): Promise<Response> {
    return fetch(`${server.url}${SENDGRID_MAIL_SEND_PATH}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${server.apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  }

  it('accepts a valid body', () => {
    expect(validateMailSendBody(valid)).toEqual([]);
  });

  it('refuses a body that breaks only the schema, naming every field', () => {
    expect(validateMailSendBody(schemaOnlyInvalid).map((e) => e.field)).toEqual(
      expect.arrayContaining(['send_at', 'categories', 'ip_pool_name', 'asm.group_id']),
    );
  });

  it('names a missing required property by its own path', () => {
    const fields = validateMailSendBody({ ...valid, personalizations: [{}], from: undefined }).map(
      (e) => e.field,
    );
    expect(fields).toEqual(expect.arrayContaining(['personalizations.0.to', 'from']));
  });

  it('the test server answers such a body 400, as SendGrid would, and its close() then fails the spec', async () => {
    const server = await startSendGridTestServer();
    let closed = false;
    try {
      const res = await post(server, schemaOnlyInvalid);
      expect(res.status).toBe(400);
      const body = (await res.json()) as { errors: { field: string | null }[] };
      expect(body.errors.map((e) => e.field)).toEqual(
        expect.arrayContaining(['send_at', 'categories', 'ip_pool_name', 'asm.group_id']),
      );
      expect(server.messages).toHaveLength(0);
      expect(server.invalidBodies).toHaveLength(1);
      closed = true;
      await expect(server.close()).rejects.toThrow(/refused 1 invalid mail\/send body.*send_at/);
    } finally {
      if (!closed) {
        await server.close().catch(() => undefined);
      }
    }
  });

  it('reset() throws too, so the test that sent the body fails', async () => {
    const server = await startSendGridTestServer();
    try {
      expect((await post(server, { ...valid, send_at: 'now' })).status).toBe(400);
      expect(() => server.reset()).toThrow(/send_at/);
    } finally {
      // Already reported by reset(): close() is clean.
      await server.close();
    }
  });

  describe('the known defect: top-level custom_args', () => {
    const published = (): Record<string, unknown> =>
      JSON.parse(readFileSync(MAIL_SEND_SCHEMA_PATH, 'utf8')) as Record<string, unknown>;

    it('is typed string in the schema as published, which refuses the object the API takes', () => {
      const ajv = new Ajv2020({ allErrors: true });
      addFormats(ajv, ['email']);
      const validate = ajv.compile(published());
      expect(validate(valid)).toBe(false);
      expect(validate.errors).toEqual([
        expect.objectContaining({ instancePath: '/custom_args', keyword: 'type' }),
      ]);
    });

    it('is corrected to an object of strings: what @sendgrid/mail sends and mailgate relies on', () => {
      expect(validateMailSendBody(valid)).toEqual([]);
      expect(
        validateMailSendBody({ ...valid, custom_args: 'mailgate' }).map((e) => e.field),
      ).toContain('custom_args');
      expect(
        validateMailSendBody({ ...valid, custom_args: { mailgate_id: 7 } }).map((e) => e.field),
      ).toContain('custom_args.mailgate_id');
    });

    it('the correction refuses to apply to a schema that no longer has the defect', () => {
      const dir = mkdtempSync(join(tmpdir(), 'mailgate-schema-'));
      try {
        const schema = published() as { properties: Record<string, Record<string, unknown>> };
        schema.properties.custom_args = { type: 'object' };
        const path = join(dir, 'mail-send.schema.json');
        writeFileSync(path, JSON.stringify(schema));
        expect(() => loadMailSendSchema(path)).toThrow(/no longer typed "string"/);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });
});
