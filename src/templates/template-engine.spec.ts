import { defaultTemplate } from './default-templates';
import { EMAIL_TEMPLATE_TYPES, TEMPLATE_LOCALES } from './email-template-type.enum';
import {
  CompiledTemplateCache,
  compileTemplate,
  renderTemplate,
  TemplateCheckError,
  type TemplateSource,
} from './template-engine';
import { TEMPLATE_VARIABLES } from './templates.constants';

const VARS = TEMPLATE_VARIABLES.LOGIN_VERIFY_CODE;

function source(content: string, subject = 'Code for {{email}}', sender = 'App'): TemplateSource {
  return { content, subject, sender };
}

function checkErrors(src: TemplateSource): Array<{ field: string; messages: string[] }> {
  try {
    compileTemplate(src, VARS, 'LOGIN_VERIFY_CODE');
  } catch (error) {
    expect(error).toBeInstanceOf(TemplateCheckError);
    return (error as TemplateCheckError).errors;
  }
  throw new Error('expected the template to be refused');
}

describe('template engine', () => {
  it.each(EMAIL_TEMPLATE_TYPES.flatMap((t) => TEMPLATE_LOCALES.map((l) => [t, l] as const)))(
    'compiles the default %s (%s) and renders it with a text part',
    (type, locale) => {
      const compiled = compileTemplate(
        defaultTemplate(type, locale),
        TEMPLATE_VARIABLES[type],
        type,
      );
      const values = Object.fromEntries(TEMPLATE_VARIABLES[type].map((v) => [v, `v-${v}`]));
      const out = renderTemplate(compiled, values, 'template.data');
      expect(out.errors).toEqual([]);
      expect(out.value!.html).toContain(`lang="${locale}"`);
      expect(out.value!.subject).toContain('v-appName');
      expect(out.value!.text).not.toContain('<');
      expect(out.value!.text.length).toBeGreaterThan(20);
    },
  );

  it('escapes values in the HTML and never evaluates them as templates', () => {
    const compiled = compileTemplate(source('<p>{{code}}</p>'), VARS, 'LOGIN_VERIFY_CODE');
    const out = renderTemplate(
      compiled,
      { code: '<script>alert(1)</script>{{email}}', email: 'a@b.c' },
      'template.data',
    );
    expect(out.value!.html).toBe('<p>&lt;script&gt;alert(1)&lt;/script&gt;{{email}}</p>');
    expect(out.value!.text).toBe('<script>alert(1)</script>{{email}}');
  });

  it('names an unknown variable with its line and column', () => {
    expect(checkErrors(source('<p>\n  {{coed}}</p>'))).toEqual([
      {
        field: 'content',
        messages: [expect.stringMatching(/^line 2, column 3: unknown variable "coed"/)],
      },
    ]);
  });

  it('reports where a template does not compile', () => {
    const [error] = checkErrors(source('<p>\n{{#if code}}x{{/iff}}</p>'));
    expect(error.field).toBe('content');
    expect(error.messages[0]).toMatch(/^does not compile at line 2, column \d+/);
    const [parse] = checkErrors(source('ok', 'Code {{code'));
    expect(parse).toEqual({
      field: 'subject',
      messages: [expect.stringMatching(/^does not compile at line 1, column \d+/)],
    });
  });

  it.each([
    ['{{{code}}}', /unescaped HTML/],
    ['{{&code}}', /unescaped HTML/],
    ['{{> header}}', /PartialStatement is not supported/],
    ['{{lookup this "constructor"}}', /helpers are not supported/],
    ['{{constructor}}', /unknown variable "constructor"/],
    ['{{__proto__}}', /unknown variable "__proto__"/],
    ['{{@root.code}}', /is not a variable/],
    ['{{../code}}', /is not a variable/],
    ['{{code.length}}', /is not a variable/],
    ['{{#each code}}x{{/each}}', /only \{\{#if variable\}\}/],
    ['{{#with code}}x{{/with}}', /only \{\{#if variable\}\}/],
  ])('refuses %s', (content, message) => {
    expect(checkErrors(source(content))[0].messages[0]).toMatch(message);
  });

  it('requires variables printed outside conditionals, naming template.data.<name>', () => {
    const compiled = compileTemplate(
      source('{{code}}{{#if appName}}{{appName}}{{/if}}'),
      VARS,
      'LOGIN_VERIFY_CODE',
    );
    expect(renderTemplate(compiled, {}, 'messages.2.template.data').errors).toEqual([
      { field: 'messages.2.template.data.email', messages: ['is required by the template'] },
      { field: 'messages.2.template.data.code', messages: ['is required by the template'] },
    ]);
    const out = renderTemplate(compiled, { code: 1, email: 'a@b.c' }, 'template.data');
    expect(out.value!.html).toBe('1');
  });

  it('refuses CR/LF in a value the subject or sender prints, allows it in the body', () => {
    const compiled = compileTemplate(
      source('{{code}}', 'Hi {{email}}', '{{appName}}'),
      VARS,
      'LOGIN_VERIFY_CODE',
    );
    const out = renderTemplate(
      compiled,
      { code: 'a\r\nb', email: 'x\r\nBcc: evil@example.com', appName: 'A\nB' },
      'template.data',
    );
    expect(out.errors.map((e) => e.field)).toEqual([
      'template.data.appName',
      'template.data.email',
    ]);
  });

  it('caches per key and drops the oldest beyond capacity', () => {
    const cache = new CompiledTemplateCache(2);
    let builds = 0;
    const build = () => {
      builds += 1;
      return compileTemplate(source('{{code}}'), VARS, 'LOGIN_VERIFY_CODE');
    };
    const first = cache.get('t:LOGIN_VERIFY_CODE:1', build);
    expect(cache.get('t:LOGIN_VERIFY_CODE:1', build)).toBe(first);
    cache.get('t:LOGIN_VERIFY_CODE:2', build);
    cache.get('t:LOGIN_VERIFY_CODE:3', build);
    expect(cache.size).toBe(2);
    expect(builds).toBe(3);
    cache.get('t:LOGIN_VERIFY_CODE:1', build);
    expect(builds).toBe(4);
  });
});
