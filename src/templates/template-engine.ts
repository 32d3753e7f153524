import Handlebars from 'handlebars';
import { convert } from 'html-to-text';
import type { FieldError } from '../common/app.exception';

/** The three parts of a template; each is Handlebars source. */
export interface TemplateSource {
  subject: string;
  sender: string;
  content: string;
}
export type TemplatePart = keyof TemplateSource;
const PARTS: readonly TemplatePart[] = ['subject', 'sender', 'content'];

/** A template checked and compiled once; render it any number of times. */
export interface CompiledTemplate {
  render: Record<TemplatePart, Handlebars.TemplateDelegate>;
  /** Variables printed outside any `{{#if}}`/`{{#unless}}`: a render needs a value for each. */
  required: ReadonlySet<string>;
  /** Variables the header parts (subject, sender) use: their values must not break a header line. */
  headerVariables: ReadonlySet<string>;
  /** Every variable the type allows, so a render's context has exactly these keys. */
  allowed: readonly string[];
}

export interface RenderedTemplate {
  subject: string;
  sender: string;
  html: string;
  text: string;
}

export type TemplateValue = string | number | boolean;

/** A failed check: the errors name the template field (`content`, `subject`, `sender`) and where. */
export class TemplateCheckError extends Error {
  constructor(readonly errors: FieldError[]) {
    super(errors.map((e) => `${e.field}: ${e.messages.join('; ')}`).join(', '));
    this.name = 'TemplateCheckError';
  }
}

/**
 * An isolated Handlebars environment with only `if` and `unless`: no `log` (it writes to the
 * console), no `lookup`/`each`/`with` (they reach into values), no partials or decorators.
 */
const handlebars = Handlebars.create();
for (const name of ['log', 'lookup', 'each', 'with']) {
  handlebars.unregisterHelper(name);
}
const CONDITIONALS = new Set(['if', 'unless']);
const COMPILE_OPTIONS = {
  // Strict: a variable the context lacks throws instead of printing nothing.
  strict: true,
  knownHelpers: { if: true, unless: true },
  knownHelpersOnly: true,
  // No @index/@root data frames: templates see their variables and nothing else.
  data: false,
} as const;
/** Handlebars ≥ 4.6 already refuses prototype access; said here so no one turns it on. */
const RUNTIME_OPTIONS: Handlebars.RuntimeOptions = {
  allowProtoPropertiesByDefault: false,
  allowProtoMethodsByDefault: false,
};
const HEADER_BREAK_RE = /[\r\n\0]/;

type Node = hbs.AST.Node;

function where(node: Node): string {
  return `line ${node.loc.start.line}, column ${node.loc.start.column + 1}`;
}

class Analysis {
  readonly used = new Set<string>();
  readonly required = new Set<string>();
  readonly errors: string[] = [];

  constructor(
    private readonly allowed: ReadonlySet<string>,
    private readonly typeName: string,
  ) {}

  /** A `{{name}}` or an `{{#if name}}` parameter; anything else is refused. */
  private variable(node: hbs.AST.Expression, at: Node): string | undefined {
    if (node.type !== 'PathExpression') {
      this.errors.push(`${where(at)}: only variables can be used here, not ${node.type}`);
      return undefined;
    }
    const path = node as hbs.AST.PathExpression;
    if (path.data || path.depth !== 0 || path.parts.length !== 1) {
      this.errors.push(
        `${where(at)}: "${path.original}" is not a variable (use a plain name such as {{code}})`,
      );
      return undefined;
    }
    const name = path.parts[0];
    if (!this.allowed.has(name)) {
      this.errors.push(
        `${where(at)}: unknown variable "${name}" (${this.typeName} has ${[...this.allowed].join(', ')})`,
      );
      return undefined;
    }
    this.used.add(name);
    return name;
  }

  walk(node: Node, conditional: boolean): void {
    switch (node.type) {
      case 'Program':
        for (const statement of (node as hbs.AST.Program).body) {
          this.walk(statement, conditional);
        }
        return;
      case 'ContentStatement':
      case 'CommentStatement':
        return;
      case 'MustacheStatement': {
        const m = node as hbs.AST.MustacheStatement;
        if (m.params.length > 0 || (m.hash?.pairs.length ?? 0) > 0) {
          this.errors.push(`${where(m)}: helpers are not supported, only {{variable}}`);
          return;
        }
        if (!m.escaped) {
          this.errors.push(
            `${where(m)}: {{{…}}} and {{&…}} print unescaped HTML; use {{…}} so values are escaped`,
          );
          return;
        }
        const name = this.variable(m.path, m);
        if (name !== undefined && !conditional) {
          this.required.add(name);
        }
        return;
      }
      case 'BlockStatement': {
        const b = node as hbs.AST.BlockStatement;
        const helper = b.path.type === 'PathExpression' ? b.path.original : '';
        if (
          !CONDITIONALS.has(helper) ||
          b.params.length !== 1 ||
          (b.hash?.pairs.length ?? 0) > 0 ||
          (b.program?.blockParams?.length ?? 0) > 0
        ) {
          this.errors.push(
            `${where(b)}: only {{#if variable}} and {{#unless variable}} blocks are supported`,
          );
          return;
        }
        this.variable(b.params[0], b);
        this.walk(b.program, true);
        if (b.inverse !== undefined && b.inverse !== null) {
          this.walk(b.inverse, true);
        }
        return;
      }
      default:
        this.errors.push(`${where(node)}: ${node.type} is not supported`);
    }
  }
}

/** Parse errors: Handlebars' own exception carries the position; jison's leaves it in the lexer. */
function parseError(error: unknown): string {
  const e = error as { message?: string; lineNumber?: number; column?: number };
  const firstLine = (e.message ?? String(error)).split('\n');
  if (typeof e.lineNumber === 'number' && typeof e.column === 'number') {
    return `does not compile at line ${e.lineNumber}, column ${e.column + 1}: ${firstLine[0].replace(/ - \d+:\d+$/, '')}`;
  }
  const lexer = (
    Handlebars as unknown as {
      Parser: {
        lexer: { yylloc?: hbs.AST.Position & { first_line: number; first_column: number } };
      };
    }
  ).Parser.lexer;
  const loc = lexer.yylloc;
  const expecting = firstLine.at(-1) ?? '';
  return loc === undefined
    ? `does not compile: ${firstLine[0]}`
    : `does not compile at line ${loc.first_line}, column ${loc.first_column + 1}: ${expecting}`;
}

/**
 * Checks and compiles a template against the variables of its type. Throws TemplateCheckError
 * naming each failing part with line and column: syntax errors, unknown variables, unescaped
 * output, helpers, partials. Subject and sender are plain text (not HTML-escaped); the content is
 * HTML, every value escaped.
 */
export function compileTemplate(
  source: TemplateSource,
  allowed: readonly string[],
  typeName: string,
): CompiledTemplate {
  const allowedSet = new Set(allowed);
  const errors: FieldError[] = [];
  const required = new Set<string>();
  const headerVariables = new Set<string>();
  const render = {} as Record<TemplatePart, Handlebars.TemplateDelegate>;
  for (const part of PARTS) {
    let ast: hbs.AST.Program;
    try {
      ast = handlebars.parse(source[part]);
    } catch (error) {
      errors.push({ field: part, messages: [parseError(error)] });
      continue;
    }
    const analysis = new Analysis(allowedSet, typeName);
    analysis.walk(ast, false);
    if (analysis.errors.length > 0) {
      errors.push({ field: part, messages: analysis.errors });
      continue;
    }
    analysis.required.forEach((name) => required.add(name));
    if (part !== 'content') {
      analysis.used.forEach((name) => headerVariables.add(name));
    }
    render[part] = handlebars.compile(ast, { ...COMPILE_OPTIONS, noEscape: part !== 'content' });
  }
  if (errors.length > 0) {
    throw new TemplateCheckError(errors);
  }
  return { render, required, headerVariables, allowed };
}

/** Text part of a rendered HTML body: what a client without HTML (or a screen reader) shows. */
export function htmlToText(html: string): string {
  return convert(html, {
    wordwrap: 78,
    selectors: [
      { selector: 'a', options: { hideLinkHrefIfSameAsText: true } },
      { selector: 'h1', options: { uppercase: false } },
      { selector: 'title', format: 'skip' },
    ],
  }).trim();
}

/**
 * Renders with `values` (already merged: send data over the template's own values). Errors name
 * `${dataPath}.<variable>`: a required variable without a value, or a header variable holding a
 * line break. The context holds exactly the type's variables, so no other key reaches Handlebars.
 */
export function renderTemplate(
  compiled: CompiledTemplate,
  values: Readonly<Record<string, TemplateValue | undefined>>,
  dataPath: string,
): { value?: RenderedTemplate; errors: FieldError[] } {
  const errors: FieldError[] = [];
  const context: Record<string, TemplateValue> = {};
  for (const name of compiled.allowed) {
    const value = Object.prototype.hasOwnProperty.call(values, name) ? values[name] : undefined;
    if (value === undefined || value === '') {
      if (compiled.required.has(name)) {
        errors.push({ field: `${dataPath}.${name}`, messages: ['is required by the template'] });
      }
      context[name] = '';
      continue;
    }
    if (
      compiled.headerVariables.has(name) &&
      typeof value === 'string' &&
      HEADER_BREAK_RE.test(value)
    ) {
      errors.push({
        field: `${dataPath}.${name}`,
        messages: ['is used in the subject or sender and must not contain CR, LF or NUL'],
      });
    }
    context[name] = value;
  }
  if (errors.length > 0) {
    return { errors };
  }
  const html = compiled.render.content(context, RUNTIME_OPTIONS);
  return {
    value: {
      subject: compiled.render.subject(context, RUNTIME_OPTIONS).trim(),
      sender: compiled.render.sender(context, RUNTIME_OPTIONS).trim(),
      html,
      text: htmlToText(html),
    },
    errors: [],
  };
}

/** Compiled templates by key (tenant, type, version); bounded, oldest dropped first. */
export class CompiledTemplateCache {
  private readonly entries = new Map<string, CompiledTemplate>();

  constructor(private readonly capacity = 1000) {}

  get(key: string, build: () => CompiledTemplate): CompiledTemplate {
    const hit = this.entries.get(key);
    if (hit !== undefined) {
      return hit;
    }
    const compiled = build();
    if (this.entries.size >= this.capacity) {
      this.entries.delete(this.entries.keys().next().value as string);
    }
    this.entries.set(key, compiled);
    return compiled;
  }

  get size(): number {
    return this.entries.size;
  }
}
