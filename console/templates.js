import { api, ApiError, serverConfig } from './api.js';
import { h, pause, stackTable } from './dom.js';
import { field, runAction, setOutcome, showErrorSummary } from './forms.js';
import { historyCard } from './history.js';

// Templates: GenAuth's 15 email template types (get/update/preview-email-template), edited with a
// live preview, reset to the default, a test send by template, and the change history.

const CONFIG = serverConfig.templates ?? { locales: ['zh-CN'], types: {}, sampleData: {} };
const LOCALES = CONFIG.locales;
const LOCALE_LABELS = { 'zh-CN': 'Simplified Chinese (zh-CN)', en: 'English (en)' };
/** Typing pauses this long before the preview is asked for. */
const PREVIEW_DELAY_MS = 300;
/** Polling of a test message until it is final. */
const POLL_FIRST_MS = 500;
const POLL_MAX_MS = 5000;
const POLL_LIMIT_MS = 60_000;

function localeOf(params) {
  const locale = params.get('locale');
  return LOCALES.includes(locale) ? locale : LOCALES[0];
}

function typeInfo(type) {
  return CONFIG.types[type] ?? { category: '—', variables: [] };
}

/** The fields a template is compared on (what update-email-template saves). */
const SAVED_FIELDS = ['customizeEnabled', 'name', 'subject', 'sender', 'content', 'expiresIn'];

function sameAsDefault(template, defaults) {
  return SAVED_FIELDS.every((f) => template[f] === defaults[f]) && !template.redirectTo;
}

function statusOf(template, defaults) {
  if (template.customizeEnabled) {
    return h('span', { class: 'badge status-sent' }, 'Customised');
  }
  if (defaults !== undefined && !sameAsDefault(template, defaults)) {
    return h('span', { class: 'badge' }, 'Default (draft saved)');
  }
  return h('span', { class: 'badge' }, 'Default');
}

function localeSelect(id, locale, onchange) {
  const select = h(
    'select',
    { id, onchange: () => onchange(select.value) },
    LOCALES.map((l) => h('option', { value: l }, LOCALE_LABELS[l] ?? l)),
  );
  select.value = locale;
  return select;
}

/** GET /api/v3/get-email-templates for the tenant and for the defaults, by type. */
async function loadTemplates(locale) {
  const [saved, defaults] = await Promise.all([
    api('GET', `/api/v3/get-email-templates?locale=${encodeURIComponent(locale)}`),
    api('GET', `/api/v3/get-email-templates?locale=${encodeURIComponent(locale)}&defaults=true`),
  ]);
  return {
    templates: saved.templates,
    defaults: new Map(defaults.templates.map((t) => [t.type, t])),
  };
}

export function renderTemplates(root, { params, signal }) {
  const locale = localeOf(params);
  const rows = h('tbody', { id: 'template-rows' });
  const note = h('p', { class: 'help', id: 'templates-note', role: 'status' }, 'Loading…');
  const select = localeSelect('templates-locale', locale, (value) => {
    location.hash = `#/templates?locale=${encodeURIComponent(value)}`;
  });

  root.replaceChildren(
    h('h1', {}, 'Email templates'),
    h(
      'p',
      { class: 'lead' },
      'The messages of GenAuth’s sign-up, sign-in and account flows. Services send them by type (template in POST /v1/emails); a customised template replaces the built-in default.',
    ),
    h(
      'div',
      { class: 'toolbar' },
      h(
        'div',
        { class: 'field inline' },
        h('label', { for: 'templates-locale' }, 'Language of the defaults'),
        select,
      ),
    ),
    stackTable(
      {
        id: 'templates',
        caption: 'Email template types',
        columns: ['Template', 'Type', 'Category', 'Status'],
      },
      rows,
    ),
    note,
  );

  void (async () => {
    try {
      const { templates, defaults } = await loadTemplates(locale);
      if (signal.aborted) {
        return;
      }
      rows.replaceChildren(
        ...templates.map((t) =>
          h(
            'tr',
            { dataset: { type: t.type } },
            h(
              'td',
              { dataset: { label: 'Template' } },
              h(
                'a',
                {
                  href: `#/templates/${encodeURIComponent(t.type)}?locale=${encodeURIComponent(locale)}`,
                },
                t.name,
              ),
            ),
            h('td', { dataset: { label: 'Type' } }, h('code', {}, t.type)),
            h('td', { dataset: { label: 'Category' } }, typeInfo(t.type).category),
            h('td', { dataset: { label: 'Status' } }, statusOf(t, defaults.get(t.type))),
          ),
        ),
      );
      const customised = templates.filter((t) => t.customizeEnabled).length;
      note.textContent = `${templates.length} template types, ${customised} customised.`;
    } catch (error) {
      if (!(error instanceof ApiError)) {
        throw error;
      }
      note.textContent =
        error.statusCode === 403
          ? `This key cannot read the templates: ${error.message}.`
          : `The templates could not be loaded: ${error.detail}`;
    }
  })();
}

/** Elements the preview never needs and that act on their own when inserted (refresh, base URL). */
const STRIPPED = 'script, noscript, base, link, meta[http-equiv], iframe, frame, object, embed';
/** One start tag, its attributes quoted or not (the HTML tokenizer's shape, closely enough). */
const START_TAG =
  /<[a-zA-Z][^\s/>]*(?:\s+[^\s/>"'=]+(?:\s*=\s*(?:"[^"]*"|'[^']*'|[^\s"'>]+))?)*\s*\/?>/g;
const ATTRIBUTE = /(\s)([^\s/>"'=]+)(\s*=\s*(?:"[^"]*"|'[^']*'|[^\s"'>]+))?/g;
const STYLE_ELEMENT = /<style\b[^>]*>([\s\S]*?)<\/style\s*>/gi;

/**
 * Markup the console's CSP would refuse as soon as it is parsed, even inertly (inline style
 * attributes, <style>, on* handlers), turned into data: styles to `data-mg-style`, handlers
 * dropped, style sheets taken out. Only the preview's fidelity rests on this, not its safety.
 */
function defuse(html) {
  const sheets = [];
  const markup = html
    .replace(STYLE_ELEMENT, (_, css) => {
      sheets.push(css);
      return '';
    })
    .replace(START_TAG, (tag) =>
      tag.replace(ATTRIBUTE, (attr, space, name, value = '') => {
        const lower = name.toLowerCase();
        if (lower.startsWith('on')) {
          return '';
        }
        return lower === 'style' ? `${space}data-mg-style${value}` : attr;
      }),
    );
  return { markup, sheets };
}

/**
 * Draws rendered HTML into the sandboxed frame. The frame inherits the console's CSP, which
 * refuses inline styles in markup; CSSOM is not subject to it, so the template's styles are set
 * on the elements and in a constructed sheet after insertion. The frame's `sandbox` has no
 * allow-scripts: nothing in it runs, whatever the stripping below missed.
 */
function drawPreview(frame, html) {
  const doc = frame.contentDocument;
  const win = frame.contentWindow;
  if (doc === null || win === null) {
    return;
  }
  const { markup, sheets } = defuse(html);
  const parsed = new DOMParser().parseFromString(markup, 'text/html');
  for (const el of parsed.querySelectorAll(STRIPPED)) {
    el.remove();
  }
  for (const el of parsed.querySelectorAll('[href], [src], [action], [formaction]')) {
    for (const name of ['href', 'src', 'action', 'formaction']) {
      if (/^\s*javascript:/i.test(el.getAttribute(name) ?? '')) {
        el.removeAttribute(name);
      }
    }
  }
  const copy = doc.importNode(parsed.documentElement, true);
  doc.replaceChild(copy, doc.documentElement);
  for (const el of [copy, ...copy.querySelectorAll('[data-mg-style]')]) {
    const style = el.getAttribute('data-mg-style');
    if (style !== null) {
      el.style.cssText = style;
      el.removeAttribute('data-mg-style');
    }
  }
  const sheet = new win.CSSStyleSheet();
  sheet.replaceSync(sheets.join('\n'));
  doc.adoptedStyleSheets = [sheet];
}

function formatValue(value) {
  if (value === null || value === undefined || value === '') {
    return '—';
  }
  if (typeof value === 'object' && 'bytes' in value && 'sha256' in value) {
    return `${value.bytes} bytes, sha256 ${String(value.sha256).slice(0, 12)}…`;
  }
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
}

function describeChange(field, change) {
  if (change !== null && typeof change === 'object' && 'old' in change && 'new' in change) {
    return `${field}: ${formatValue(change.old)} → ${formatValue(change.new)}`;
  }
  return `${field}: ${formatValue(change)}`;
}

/** The sample values a test send of `type` carries (the recipient fills in `email`). */
function sampleData(type) {
  const data = {};
  for (const name of typeInfo(type).variables) {
    if (name !== 'email' && CONFIG.sampleData[name] !== undefined) {
      data[name] = CONFIG.sampleData[name];
    }
  }
  return data;
}

const FIELDS = [
  { name: 'name', label: 'Name', input: 'text' },
  { name: 'subject', label: 'Subject', input: 'text', help: 'Handlebars, plain text.' },
  {
    name: 'sender',
    label: 'Sender display name',
    input: 'text',
    help: 'The From display name (the address is the provider’s sender).',
  },
  { name: 'content', label: 'Content (HTML)', input: 'textarea' },
  {
    name: 'expiresIn',
    label: 'Expires in (minutes)',
    input: 'number',
    help: 'Validity of the code or link: the expiresIn variable.',
  },
  {
    name: 'redirectTo',
    label: 'Redirect to',
    input: 'url',
    help: 'Where the user goes after verifying (the redirectTo variable).',
  },
];

export function renderTemplate(root, { type, params, signal }) {
  const locale = localeOf(params);
  const info = typeInfo(type);
  let current = null;
  let defaults = null;
  let previewSeq = 0;
  let previewTimer = null;

  const title = h('h1', { id: 'template-title' }, type);
  const status = h('p', { class: 'help', id: 'template-status' }, 'Loading…');
  const errorSummary = h('div', {
    class: 'error-summary',
    id: 'template-errors',
    role: 'alert',
    tabindex: '-1',
    hidden: true,
  });
  const outcome = h('div', { class: 'outcome', id: 'template-outcome', role: 'status' });
  const testOutcome = h('div', { class: 'outcome', id: 'template-test-outcome', role: 'status' });
  const previewState = h('p', { class: 'help', id: 'preview-state', role: 'status' });
  const previewSubject = h('dd', { id: 'preview-subject' }, '—');
  const previewSender = h('dd', { id: 'preview-sender' }, '—');
  // No allow-scripts: whatever the content holds, nothing runs in the frame. allow-same-origin
  // only lets the console draw into it (see drawPreview).
  const frame = h('iframe', {
    id: 'template-preview',
    class: 'preview',
    title: 'Preview of the rendered template',
    sandbox: 'allow-same-origin',
    referrerpolicy: 'no-referrer',
  });

  const inputs = {};
  const fieldEls = FIELDS.map((spec) => {
    const id = `template-${spec.name}`;
    const described = [spec.help ? `${id}-help` : '', `${id}-error`].filter(Boolean).join(' ');
    const input =
      spec.input === 'textarea'
        ? h('textarea', {
            id,
            rows: '16',
            spellcheck: 'false',
            class: 'code',
            'aria-describedby': described,
          })
        : h('input', {
            id,
            type: spec.input === 'number' ? 'text' : spec.input === 'url' ? 'url' : 'text',
            inputmode: spec.input === 'number' ? 'numeric' : undefined,
            autocomplete: 'off',
            spellcheck: 'false',
            'aria-describedby': described,
          });
    input.addEventListener('input', schedulePreview);
    inputs[spec.name] = input;
    return field({ name: spec.name, id, label: spec.label, control: input, help: spec.help });
  });
  const variablesHelp = h(
    'p',
    { class: 'help', id: 'template-variables' },
    'Variables: ',
    info.variables.map((v, i) => [i === 0 ? '' : ', ', h('code', {}, `{{${v}}}`)]),
    '. Values are HTML-escaped; {{#if name}}…{{/if}} shows a part only when a value is given.',
  );
  // Content is the fourth field: the variables go right under it.
  fieldEls[3].insertBefore(variablesHelp, fieldEls[3].querySelector('.field-error'));

  const customize = h('input', {
    id: 'template-customizeEnabled',
    type: 'checkbox',
    'aria-describedby': 'template-customizeEnabled-help template-customizeEnabled-error',
  });
  const engine = h(
    'select',
    {
      id: 'template-tplEngine',
      'aria-describedby': 'template-tplEngine-help template-tplEngine-error',
      onchange: schedulePreview,
    },
    h('option', { value: 'handlebar' }, 'Handlebars (handlebar)'),
    h('option', { value: 'ejs' }, 'EJS (ejs)'),
  );

  function readNumber(input) {
    const raw = input.value.trim();
    if (raw === '') {
      return undefined;
    }
    // Not a number stays a string: the server names the field and says why.
    return /^-?\d+$/.test(raw) ? Number(raw) : raw;
  }

  function readForm() {
    const body = {
      type,
      customizeEnabled: customize.checked,
      name: inputs.name.value,
      subject: inputs.subject.value,
      sender: inputs.sender.value,
      content: inputs.content.value,
      tplEngine: engine.value,
    };
    const expiresIn = readNumber(inputs.expiresIn);
    if (expiresIn !== undefined) {
      body.expiresIn = expiresIn;
    }
    const redirectTo = inputs.redirectTo.value.trim();
    if (redirectTo !== '') {
      body.redirectTo = redirectTo;
    }
    return body;
  }

  function fill(template) {
    current = template;
    title.textContent = `${template.name} (${type})`;
    document.title = `${template.name} · Templates · mailgate console`;
    customize.checked = template.customizeEnabled;
    for (const spec of FIELDS) {
      const value = template[spec.name];
      inputs[spec.name].value = value === undefined || value === null ? '' : String(value);
    }
    engine.value = template.tplEngine ?? 'handlebar';
    status.replaceChildren(
      `${info.category} · defaults in ${LOCALE_LABELS[locale] ?? locale} · `,
      statusOf(template, defaults ?? undefined),
    );
  }

  /** Clears the errors of `fields` (all, with the summary, when not given). */
  function clearErrors(fields) {
    if (fields === undefined) {
      errorSummary.hidden = true;
      errorSummary.replaceChildren();
    }
    for (const wrapper of root.querySelectorAll('[data-field]')) {
      if (fields !== undefined && !fields.includes(wrapper.dataset.field)) {
        continue;
      }
      const error = wrapper.querySelector('.field-error');
      if (error !== null) {
        error.hidden = true;
        error.textContent = '';
      }
      for (const el of wrapper.querySelectorAll('[aria-invalid]')) {
        el.removeAttribute('aria-invalid');
      }
    }
  }

  /** The wrapper of an API field name: `content`, `to.0.email` → `to`, `template.data.code` → data. */
  function wrapperOf(field) {
    for (const candidate of [field, field.split('.')[0]]) {
      const el = root.querySelector(`[data-field="${CSS.escape(candidate)}"]`);
      if (el !== null) {
        return el;
      }
    }
    return field.startsWith('template.') ? root.querySelector('[data-field="test-data"]') : null;
  }

  /** Puts each error at its field; `summary` also lists them and moves the focus there. */
  function showFieldErrors(errors, { summary }) {
    const items = [];
    let first = null;
    for (const { field, messages } of errors) {
      const text = messages.join(' ');
      const wrapper = wrapperOf(field);
      if (wrapper !== null) {
        const error = wrapper.querySelector('.field-error');
        error.textContent = wrapper.dataset.field === field ? text : `${field}: ${text}`;
        error.hidden = false;
        const input = wrapper.querySelector('input, textarea, select');
        if (input !== null) {
          input.setAttribute('aria-invalid', 'true');
          first ??= input;
        }
      }
      items.push(h('li', {}, `${field}: ${text}`));
    }
    if (summary) {
      showErrorSummary(errorSummary, items, first);
    }
  }

  const PREVIEWED = ['subject', 'sender', 'content', 'expiresIn', 'tplEngine'];

  function schedulePreview() {
    clearTimeout(previewTimer);
    previewState.textContent = 'Updating the preview…';
    previewTimer = setTimeout(() => void preview(), PREVIEW_DELAY_MS);
  }

  /** Renders the form's (unsaved) template with sample values; stale answers are dropped. */
  async function preview() {
    const seq = ++previewSeq;
    const form = readForm();
    const body = { type, locale, sender: form.sender, tplEngine: form.tplEngine };
    for (const field of ['subject', 'content']) {
      // Empty is sent so the server names it (both are required).
      body[field] = form[field];
    }
    if (form.expiresIn !== undefined) {
      body.expiresIn = form.expiresIn;
    }
    try {
      const result = await api('POST', '/api/v3/preview-email-template', body);
      if (seq !== previewSeq || signal.aborted) {
        return;
      }
      clearErrors(PREVIEWED);
      previewSubject.textContent = result.subject;
      previewSender.textContent = result.sender || '—';
      drawPreview(frame, result.content);
      previewState.textContent = 'Rendered with sample values.';
    } catch (error) {
      if (!(error instanceof ApiError)) {
        throw error;
      }
      if (seq !== previewSeq || signal.aborted) {
        return;
      }
      clearErrors(PREVIEWED);
      if (error.fieldErrors.length > 0) {
        // At the fields, without taking the focus from the one being typed in.
        showFieldErrors(error.fieldErrors, { summary: false });
        previewState.textContent = `Preview not updated: ${error.fieldErrors
          .map((e) => `${e.field}: ${e.messages.join(' ')}`)
          .join('; ')}`;
      } else {
        previewState.textContent = `Preview not updated: ${error.detail}`;
      }
    }
  }

  /** Runs one action with its buttons disabled; API errors go to the fields or the outcome. */
  function act(buttons, el, work) {
    const showErrors = (errors) => showFieldErrors(errors, { summary: true });
    return runAction({ buttons, outcome: el, clearErrors, showFieldErrors: showErrors }, work);
  }

  const saveButton = h('button', { type: 'submit', class: 'primary' }, 'Save');
  const resetButton = h(
    'button',
    { type: 'button', class: 'secondary', id: 'template-reset' },
    'Reset to default',
  );
  const buttons = [saveButton, resetButton];

  async function save() {
    await act(buttons, outcome, async () => {
      const saved = await api('POST', '/api/v3/update-email-template', readForm());
      fill(saved);
      setOutcome(
        outcome,
        'ok',
        saved.customizeEnabled
          ? 'Saved: sends of this type use this template.'
          : 'Saved, not in use: sends of this type use the default until “Use this template” is on.',
      );
      schedulePreview();
      await loadHistory(false);
    });
  }

  async function reset() {
    await act(buttons, outcome, async () => {
      if (sameAsDefault(current, defaults)) {
        fill(defaults);
        setOutcome(outcome, 'ok', 'Already the default.');
        schedulePreview();
        return;
      }
      const body = {
        type,
        customizeEnabled: false,
        name: defaults.name,
        subject: defaults.subject,
        sender: defaults.sender,
        content: defaults.content,
        tplEngine: 'handlebar',
      };
      if (defaults.expiresIn !== undefined) {
        body.expiresIn = defaults.expiresIn;
      }
      fill(await api('POST', '/api/v3/update-email-template', body));
      setOutcome(outcome, 'ok', 'Reset: sends of this type use the built-in default.');
      schedulePreview();
      await loadHistory(false);
    });
  }
  resetButton.addEventListener('click', () => void reset());

  const recipient = h('input', {
    id: 'template-test-to',
    type: 'email',
    autocomplete: 'email',
    spellcheck: 'false',
    'aria-describedby': 'template-test-to-help template-test-to-error',
  });
  const from = h('input', {
    id: 'template-test-from',
    type: 'email',
    autocomplete: 'off',
    spellcheck: 'false',
    'aria-describedby': 'template-test-from-help template-test-from-error',
  });
  const testButton = h(
    'button',
    { type: 'button', class: 'secondary', id: 'template-send-test' },
    'Send test',
  );
  const data = sampleData(type);

  /** Follows the test message until it is sent or failed, or the page is left. */
  async function follow(id) {
    let delay = POLL_FIRST_MS;
    const until = Date.now() + POLL_LIMIT_MS;
    const link = h('a', { href: `#/messages/${encodeURIComponent(id)}` }, id);
    for (;;) {
      const m = await api('GET', `/v1/emails/${encodeURIComponent(id)}`);
      if (signal.aborted) {
        return;
      }
      if (m.status === 'queued' || m.status === 'sending') {
        if (Date.now() > until) {
          setOutcome(testOutcome, 'ok', 'Accepted as message ', link, `, still ${m.status}.`);
          return;
        }
        setOutcome(testOutcome, 'busy', 'Accepted as message ', link, `: ${m.status}…`);
        await pause(delay, signal);
        delay = Math.min(delay * 1.5, POLL_MAX_MS);
        continue;
      }
      const failed = ['failed', 'bounced', 'suppressed', 'complained'].includes(m.status);
      setOutcome(
        testOutcome,
        failed ? 'fail' : 'ok',
        `Test ${failed ? 'not delivered' : 'sent'} to ${recipient.value.trim()}: message `,
        link,
        ` is ${m.status}`,
        m.transport ? ` (via ${m.transport})` : '',
        m.lastError ? `: ${m.lastError.class} ${m.lastError.message}` : '',
        '.',
      );
      return;
    }
  }

  async function sendTest() {
    await act([testButton], testOutcome, async () => {
      const body = {
        to: [{ email: recipient.value.trim() }],
        template: { type, data, locale },
      };
      const sender = from.value.trim();
      if (sender !== '') {
        body.from = sender;
      }
      const accepted = await api('POST', '/v1/emails', body);
      await follow(accepted.id);
    });
  }
  testButton.addEventListener('click', () => void sendTest());

  const history = historyCard({
    path: '/api/v3/email-template-history',
    params: { type },
    caption: 'Saves of this template, newest first',
    describe: describeChange,
    ids: {
      title: 'template-history-title',
      table: 'template-history',
      rows: 'template-history-rows',
      note: 'template-history-note',
    },
    signal,
  });
  const loadHistory = history.load;

  const form = h(
    'form',
    {
      id: 'template-form',
      novalidate: true,
      hidden: true,
      'aria-labelledby': 'template-title',
      onsubmit: (event) => {
        event.preventDefault();
        void save();
      },
    },
    errorSummary,
    h(
      'div',
      { class: 'field check', dataset: { field: 'customizeEnabled' } },
      customize,
      h('label', { for: 'template-customizeEnabled' }, 'Use this template for sends'),
      h(
        'p',
        { class: 'help', id: 'template-customizeEnabled-help' },
        'Off: sends of this type use the built-in default (customizeEnabled).',
      ),
      h('p', { class: 'field-error', id: 'template-customizeEnabled-error', hidden: true }),
    ),
    fieldEls,
    field({
      name: 'tplEngine',
      id: 'template-tplEngine',
      label: 'Template engine',
      control: engine,
      help: 'Only Handlebars runs here: EJS would execute the template’s code inside the gateway.',
    }),
    h('div', { class: 'actions' }, saveButton, resetButton),
    outcome,
  );

  const editor = h(
    'section',
    { class: 'card', 'aria-labelledby': 'editor-title' },
    h('h2', { id: 'editor-title' }, 'Template'),
    h('p', { class: 'help' }, `Category: ${info.category}.`),
    form,
  );

  const previewSection = h(
    'section',
    { class: 'card', 'aria-labelledby': 'preview-title' },
    h('h2', { id: 'preview-title' }, 'Preview'),
    h(
      'p',
      { class: 'help' },
      'Of the form as it is now (unsaved edits included), with sample values. Scripts, forms and remote content are blocked.',
    ),
    h(
      'dl',
      { class: 'facts' },
      h('dt', {}, 'Subject'),
      previewSubject,
      h('dt', {}, 'Sender'),
      previewSender,
    ),
    frame,
    previewState,
  );

  const testSection = h(
    'section',
    { class: 'card', 'aria-labelledby': 'template-test-title' },
    h('h2', { id: 'template-test-title' }, 'Send a test'),
    field({
      name: 'to',
      id: 'template-test-to',
      label: 'Recipient',
      control: recipient,
      help: 'Sends the saved template (the default while “Use this template” is off) through the tenant’s provider, as a service would.',
    }),
    field({
      name: 'from',
      id: 'template-test-from',
      label: 'From address (optional)',
      control: from,
      help: 'Empty: the provider’s sender address, with the template’s sender display name.',
    }),
    h(
      'div',
      { dataset: { field: 'test-data' } },
      h(
        'p',
        { class: 'help', id: 'template-test-data' },
        'Sample values: ',
        Object.keys(data).length === 0
          ? 'none needed'
          : Object.entries(data)
              .map(([k, v]) => `${k} = ${v}`)
              .join(', '),
        '.',
      ),
      h('p', { class: 'field-error', hidden: true }),
    ),
    h('div', { class: 'actions' }, testButton),
    testOutcome,
  );

  root.replaceChildren(
    h(
      'p',
      {},
      h('a', { href: `#/templates?locale=${encodeURIComponent(locale)}` }, '← All templates'),
    ),
    title,
    status,
    h('div', { class: 'template-layout' }, editor, previewSection),
    testSection,
    history.section,
  );

  void (async () => {
    try {
      const { templates, defaults: byType } = await loadTemplates(locale);
      if (signal.aborted) {
        return;
      }
      const template = templates.find((t) => t.type === type);
      if (template === undefined) {
        status.textContent = `There is no template type ${type}.`;
        return;
      }
      defaults = byType.get(type);
      fill(template);
      form.hidden = false;
      void preview();
      await loadHistory(false);
    } catch (error) {
      if (!(error instanceof ApiError)) {
        throw error;
      }
      status.textContent =
        error.statusCode === 403
          ? `This key cannot read the templates: ${error.message}.`
          : `The template could not be loaded: ${error.detail}`;
    }
  })();
}
