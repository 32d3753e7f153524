import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { generateOpenApiDocument } from '../../scripts/generate-openapi';

const run = promisify(execFile);
const ROOT = join(__dirname, '..', '..');
const bin = (name: string): string => join(ROOT, 'node_modules', '.bin', name);
/** Redocly phones home and checks for updates unless told not to. */
const QUIET = { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' };

interface LintReport {
  totals: { errors: number; warnings: number };
  problems: Array<{ ruleId: string; severity: string; message: string; location: unknown }>;
}

/** `redocly lint` with the repository's config (recommended rules) over `file`, as JSON. */
async function lint(file: string): Promise<LintReport> {
  // Exit code 1 means "errors found"; the report on stdout says which.
  const out = await run(
    bin('redocly'),
    ['lint', file, '--config', join(ROOT, 'redocly.yaml'), '--format', 'json'],
    { env: QUIET, maxBuffer: 64 * 1024 * 1024 },
  ).catch((error: { stdout?: string }) => ({ stdout: error.stdout ?? '' }));
  return JSON.parse(out.stdout) as LintReport;
}

/** A client written against the generated types: what an integrator would write. */
const CLIENT = `import type { paths } from './schema';

type Send = paths['/v1/emails']['post'];
export type SendBody = Send['requestBody']['content']['application/json'];
type Accepted = Send['responses'][202]['content']['application/json'];

export async function send(baseUrl: string, token: string, body: SendBody): Promise<string> {
  const res = await fetch(\`\${baseUrl}/v1/emails\`, {
    method: 'POST',
    headers: { authorization: \`Bearer \${token}\`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const answer = (await res.json()) as Accepted;
  return answer.data?.id ?? '';
}

export const message: SendBody = {
  from: 'Acme <noreply@acme.example>',
  to: [{ name: 'Ada Lovelace', email: 'ada@example.com' }, 'ops@例子.中国'],
  subject: 'Your sign-in code',
  text: 'Your code is 123456',
  attachments: [{ filename: 'code.txt', content: 'MTIzNDU2', contentType: 'text/plain' }],
  headers: { 'X-Campaign': 'sign-in' },
  tags: ['sign-in'],
  metadata: { userId: 42 },
};

export const byTemplate: SendBody = {
  to: 'ada@example.com',
  template: { type: 'LOGIN_VERIFY_CODE', data: { code: '493817' } },
};

// @ts-expect-error: not a field of the request (additionalProperties: false)
export const unknownField: SendBody = { to: 'a@example.com', subject: 's', text: 't', priority: 1 };

// @ts-expect-error: \`to\` is required
export const noRecipient: SendBody = { subject: 's', text: 't' };
`;

describe('openapi.json for client tooling', () => {
  let dir: string;
  let file: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'mailgate-openapi-clients-'));
    file = join(dir, 'openapi.json');
    writeFileSync(file, JSON.stringify(await generateOpenApiDocument()));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('passes `redocly lint` with the recommended rules: 0 errors', async () => {
    const report = await lint(file);
    const errors = report.problems.filter((p) => p.severity === 'error');
    expect(errors).toEqual([]);
    expect(report.totals.errors).toBe(0);
  }, 120_000);

  it('would fail on an error: a `nullable` without `type` is one', async () => {
    const broken = join(dir, 'broken.json');
    const document = (await generateOpenApiDocument()) as unknown as {
      components: { schemas: Record<string, { properties?: Record<string, object> }> };
    };
    document.components.schemas.Email.properties!.subject = { nullable: true };
    writeFileSync(broken, JSON.stringify(document));
    const report = await lint(broken);
    expect(report.totals.errors).toBeGreaterThan(0);
  }, 120_000);

  it('gives openapi-typescript types that type-check a client sending a message', async () => {
    await run(bin('openapi-typescript'), [file, '-o', join(dir, 'schema.d.ts')], { env: QUIET });
    writeFileSync(join(dir, 'client.ts'), CLIENT);
    writeFileSync(
      join(dir, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          strict: true,
          noEmit: true,
          target: 'es2022',
          module: 'nodenext',
          lib: ['es2022', 'dom'],
          types: [],
        },
        files: ['client.ts'],
      }),
    );
    const tsc = await run(bin('tsc'), ['-p', dir], { cwd: dir }).catch(
      (error: { stdout?: string; code?: number }) => ({
        stdout: error.stdout ?? '',
        code: error.code,
      }),
    );
    // tsc prints its diagnostics on stdout; none means the client and the @ts-expect-error lines hold.
    expect(tsc.stdout).toBe('');
  }, 120_000);
});
