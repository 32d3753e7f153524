import { api, ApiError, serverConfig } from './api.js';
import { h, time } from './dom.js';
import { field, runAction, setOutcome, showErrorSummary } from './forms.js';
import { historyCard } from './history.js';

// The provider page: GenAuth's config_email_provider as a form, plus verify, test-send,
// last verification and the change history. Field names are the seed's (snake_case included).

/** What reads show instead of a secret; posting it back keeps the stored one (server's rule). */
const MASK = serverConfig.secretMask ?? '********';
const PRESETS = serverConfig.presets ?? {};

const TYPES = [
  { type: 'custom', label: 'Custom SMTP', block: 'smtpConfig' },
  {
    type: 'ali',
    label: 'Alibaba enterprise mail (exmail)',
    block: 'aliExmailConfig',
    preset: 'ali',
  },
  {
    type: 'qq',
    label: 'Tencent enterprise mail (exmail)',
    block: 'tencentExmailConfig',
    preset: 'qq',
  },
  { type: 'sendgrid', label: 'SendGrid', block: 'sendGridConfig' },
];

const exmailFields = [
  {
    name: 'sender',
    label: 'Sender mailbox',
    input: 'email',
    help: 'The mailbox signs in to the server and is the From address.',
  },
  { name: 'senderPass', label: 'Mailbox password', input: 'secret' },
];

/** The seed's fields of each block, in its order. */
const FIELDS = {
  smtpConfig: [
    { name: 'smtp_host', label: 'SMTP host', input: 'text', help: 'Host name or IP address.' },
    {
      name: 'smtp_port',
      label: 'SMTP port',
      input: 'number',
      help: '465 for implicit TLS; 587 or 25 for STARTTLS.',
    },
    {
      name: 'sender',
      label: 'Sender',
      input: 'email',
      help: 'The SMTP login and the default From address.',
    },
    { name: 'senderPass', label: 'SMTP password', input: 'secret' },
    {
      name: 'secure',
      label: 'Implicit TLS (secure)',
      input: 'checkbox',
      help: 'On: TLS from the first byte (usually port 465). Off: STARTTLS whenever the server offers it.',
    },
  ],
  aliExmailConfig: exmailFields,
  tencentExmailConfig: exmailFields,
  sendGridConfig: [
    {
      name: 'sender',
      label: 'Sender',
      input: 'email',
      help: 'The From address of every message (a verified SendGrid sender).',
    },
    { name: 'apikey', label: 'SendGrid API key', input: 'secret' },
  ],
};

const DEFAULTS = { smtpConfig: { smtp_port: 465, secure: true } };

function typeInfo(type) {
  return TYPES.find((t) => t.type === type) ?? TYPES[0];
}

/** `auth (EAUTH 535): Authentication failed` as nodes, the class as a badge. */
function describeProviderError(error) {
  const code = [error.code, error.status].filter((v) => v !== undefined && v !== null).join(' ');
  return [
    h('span', { class: `badge badge-${error.class}` }, error.class),
    code === '' ? ' ' : ` ${code}: `,
    error.message,
  ];
}

const CIRCUIT_LABELS = { closed: 'closed', open: 'open', half_open: 'half open' };

/** The circuit breaker (get-email-provider `health`) in words: is mail flowing, and when it resumes. */
function describeHealth(health) {
  const badge = h(
    'span',
    { class: `badge circuit-${health.state}`, id: 'circuit-state' },
    CIRCUIT_LABELS[health.state] ?? health.state,
  );
  const last =
    health.lastError === null ? [] : [' Last error: ', ...describeProviderError(health.lastError)];
  if (health.state === 'closed') {
    return [
      'Circuit ',
      badge,
      ' since ',
      time(health.since),
      health.consecutiveFailures > 0
        ? `: ${health.consecutiveFailures} failure(s) in a row.`
        : ': messages go to the provider.',
      ...(health.consecutiveFailures > 0 ? last : []),
    ];
  }
  if (health.state === 'half_open') {
    return [
      'Circuit ',
      badge,
      ' since ',
      time(health.since),
      ': one probe message is being tried.',
      ...last,
    ];
  }
  const resumes =
    health.reason === 'auth'
      ? ' The provider refused the sign-in: messages wait until the settings are saved again or a verification succeeds.'
      : [
          ' Messages wait in the queue (their attempts are not spent); one probe goes at ',
          time(health.retryAt),
          '.',
        ];
  return [
    'Circuit ',
    badge,
    ' since ',
    time(health.since),
    ` after ${health.consecutiveFailures} failure(s) in a row.`,
    ...[resumes].flat(),
    ...last,
  ];
}

function formatValue(value) {
  if (value === null || value === undefined || value === '') {
    return '—';
  }
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
}

function describeChange(path, change) {
  if (typeof change === 'string') {
    return `${path}: ${change}`;
  }
  if (change !== null && typeof change === 'object' && 'old' in change && 'new' in change) {
    return `${path}: ${formatValue(change.old)} → ${formatValue(change.new)}`;
  }
  if (path === 'error' && change !== null && typeof change === 'object' && 'class' in change) {
    return `error: ${change.class}${change.code ? ` (${change.code})` : ''}: ${change.message ?? ''}`;
  }
  return `${path}: ${formatValue(change)}`;
}

/** A text/email/number input with its label, help and error line, bound to `block.name`. */
function plainField(block, spec) {
  const id = `${block}-${spec.name}`;
  const described = [spec.help ? `${id}-help` : '', `${id}-error`].filter(Boolean).join(' ');
  if (spec.input === 'checkbox') {
    const error = h('p', { class: 'field-error', id: `${id}-error`, hidden: true });
    const input = h('input', { id, type: 'checkbox', 'aria-describedby': described });
    const wrapper = h(
      'div',
      { class: 'field check', dataset: { field: `${block}.${spec.name}` } },
      input,
      h('label', { for: id }, spec.label),
      spec.help ? h('p', { class: 'help', id: `${id}-help` }, spec.help) : null,
      error,
    );
    return {
      wrapper,
      input,
      error,
      read: () => input.checked,
      write: (value) => {
        input.checked = value === true;
      },
    };
  }
  const input = h('input', {
    id,
    type: spec.input === 'number' ? 'text' : spec.input,
    inputmode: spec.input === 'number' ? 'numeric' : undefined,
    autocomplete: 'off',
    spellcheck: 'false',
    'aria-describedby': described,
  });
  const wrapper = field({
    name: `${block}.${spec.name}`,
    id,
    label: spec.label,
    control: input,
    help: spec.help,
  });
  return {
    wrapper,
    input,
    error: wrapper.querySelector('.field-error'),
    read: () => {
      const raw = input.value.trim();
      if (raw === '') {
        return undefined;
      }
      if (spec.input === 'number') {
        // Not a number stays a string: the server names the field and says why.
        return /^-?\d+(\.\d+)?$/.test(raw) ? Number(raw) : raw;
      }
      return raw;
    },
    write: (value) => {
      input.value = value === undefined || value === null ? '' : String(value);
    },
  };
}

/**
 * A secret: when one is stored the input shows the mask, read-only, and "Replace" opens it for a
 * new value; the mask is what gets posted back while it is not replaced (the server keeps the
 * stored secret unless host, port or login changed).
 */
function secretField(block, spec) {
  const id = `${block}-${spec.name}`;
  let stored = false;
  let replacing = false;
  const error = h('p', { class: 'field-error', id: `${id}-error`, hidden: true });
  const state = h('p', { class: 'help', id: `${id}-state` });
  const input = h('input', {
    id,
    type: 'password',
    autocomplete: 'new-password',
    spellcheck: 'false',
    'aria-describedby': `${id}-state ${id}-error`,
  });
  const toggle = h('button', {
    type: 'button',
    class: 'secondary small',
    'aria-controls': id,
    onclick: () => {
      replacing = !replacing;
      input.value = replacing ? '' : MASK;
      sync();
      if (replacing) {
        input.focus();
      }
    },
  });
  function sync() {
    input.readOnly = stored && !replacing;
    toggle.hidden = !stored;
    toggle.textContent = replacing ? 'Keep stored' : 'Replace';
    toggle.setAttribute(
      'aria-label',
      replacing ? `Keep the stored ${spec.label.toLowerCase()}` : `Replace ${spec.label}`,
    );
    state.textContent = !stored
      ? 'Stored encrypted; never shown again once saved.'
      : replacing
        ? 'Enter the new secret, or keep the stored one.'
        : 'A secret is stored and stays hidden. Choose “Replace” to enter a new one.';
  }
  sync();
  const wrapper = h(
    'div',
    { class: 'field', dataset: { field: `${block}.${spec.name}` } },
    h('label', { for: id }, spec.label),
    h('div', { class: 'secret-row' }, input, toggle),
    state,
    error,
  );
  return {
    wrapper,
    input,
    error,
    read: () => {
      if (stored && !replacing) {
        return MASK;
      }
      return input.value === '' ? undefined : input.value;
    },
    write: (value) => {
      stored = value === MASK;
      replacing = false;
      input.value = stored ? MASK : '';
      sync();
    },
  };
}

function presetFields(block, preset) {
  const p = PRESETS[preset];
  if (p === undefined) {
    return null;
  }
  const id = `${block}-preset`;
  return h(
    'div',
    { class: 'preset' },
    h(
      'div',
      { class: 'field' },
      h('label', { for: `${id}-host` }, 'SMTP host (preset)'),
      h('input', { id: `${id}-host`, type: 'text', value: p.host, readOnly: true }),
    ),
    h(
      'div',
      { class: 'field' },
      h('label', { for: `${id}-port` }, 'SMTP port (preset)'),
      h('input', { id: `${id}-port`, type: 'text', value: String(p.port), readOnly: true }),
    ),
    h(
      'p',
      { class: 'help' },
      `Fixed by the provider: ${p.host}:${p.port}, ${p.secure ? 'implicit TLS' : 'STARTTLS'}.`,
    ),
  );
}

/**
 * Draws the page at once (heading first) and loads the config and its history after.
 */
export function renderProvider(root, { signal }) {
  let saved = null;
  let snapshot = '';

  const summary = h('p', { class: 'lead', id: 'provider-summary' }, 'Loading the configuration…');
  const errorSummary = h('div', {
    class: 'error-summary',
    id: 'provider-errors',
    role: 'alert',
    tabindex: '-1',
    hidden: true,
  });
  const outcome = h('div', { class: 'outcome', id: 'provider-outcome', role: 'status' });
  const testOutcome = h('div', { class: 'outcome', id: 'test-outcome', role: 'status' });

  // Delivery: the enabled switch and the fallback extension.
  const enabled = h('input', {
    id: 'enabled',
    type: 'checkbox',
    role: 'switch',
    'aria-describedby': 'enabled-help enabled-error',
  });
  const enabledState = h('span', { class: 'switch-state', 'aria-hidden': 'true' });
  const syncEnabled = () => {
    enabledState.textContent = enabled.checked ? 'On' : 'Off';
  };
  enabled.addEventListener('change', syncEnabled);
  const fallback = h('input', {
    id: 'fallbackOnFailure',
    type: 'checkbox',
    'aria-describedby': 'fallback-help fallbackOnFailure-error',
  });

  // Type chooser and one fieldset per block; only the chosen type's fieldset is shown.
  const controls = {};
  const blockErrors = {};
  const fieldsets = {};
  const radios = TYPES.map((t) =>
    h('input', {
      type: 'radio',
      name: 'type',
      id: `type-${t.type}`,
      value: t.type,
      onchange: () => showType(t.type),
    }),
  );
  for (const t of TYPES) {
    controls[t.block] = {};
    blockErrors[t.block] = h('p', { class: 'field-error', id: `${t.block}-error`, hidden: true });
    const fields = FIELDS[t.block].map((spec) => {
      const control =
        spec.input === 'secret' ? secretField(t.block, spec) : plainField(t.block, spec);
      controls[t.block][spec.name] = control;
      return control.wrapper;
    });
    fieldsets[t.type] = h(
      'fieldset',
      { class: 'block', id: `block-${t.type}`, dataset: { field: t.block }, hidden: true },
      h('legend', {}, `${t.label} settings`),
      blockErrors[t.block],
      t.preset ? presetFields(t.block, t.preset) : null,
      fields,
    );
  }

  function chosenType() {
    return radios.find((r) => r.checked)?.value ?? 'custom';
  }

  function showType(type) {
    for (const t of TYPES) {
      fieldsets[t.type].hidden = t.type !== type;
    }
    for (const r of radios) {
      r.checked = r.value === type;
    }
  }

  function readBlock(block) {
    const out = {};
    for (const [name, control] of Object.entries(controls[block])) {
      const value = control.read();
      if (value !== undefined) {
        out[name] = value;
      }
    }
    return out;
  }

  function isEmptyBlock(values) {
    return Object.entries(values).every(
      ([name, value]) => name === 'secure' || value === undefined,
    );
  }

  /** The whole config, as config-email-provider takes it (the body replaces the stored one). */
  function buildBody() {
    const type = chosenType();
    const body = { type, enabled: enabled.checked, fallbackOnFailure: fallback.checked };
    for (const t of TYPES) {
      if (t.type === type) {
        const values = readBlock(t.block);
        if (enabled.checked || !isEmptyBlock(values)) {
          body[t.block] = values;
        }
      } else if (saved?.[t.block] !== undefined) {
        // Other types' stored settings are kept as they are (masks keep their secrets).
        body[t.block] = saved[t.block];
      }
    }
    if (saved !== null) {
      body.version = saved.version;
    }
    return body;
  }

  /** Only the chosen type: what verify and test-send take as an unsaved config. */
  function candidate() {
    const type = chosenType();
    return { type, [typeInfo(type).block]: readBlock(typeInfo(type).block) };
  }

  /** Unsaved edits: verify and test-send then use the form instead of the saved config. */
  function dirty() {
    return saved === null || JSON.stringify(buildBody()) !== snapshot;
  }

  function fill(config) {
    saved = config;
    enabled.checked = config === null ? true : config.enabled;
    syncEnabled();
    fallback.checked = config?.fallbackOnFailure === true;
    for (const t of TYPES) {
      const stored = config?.[t.block];
      for (const [name, control] of Object.entries(controls[t.block])) {
        control.write(stored === undefined ? DEFAULTS[t.block]?.[name] : stored[name]);
      }
    }
    showType(config?.type ?? 'custom');
    form.hidden = false;
    snapshot = JSON.stringify(buildBody());
    renderSummary();
    renderVerification();
    renderHealth();
  }

  function renderSummary() {
    if (saved === null) {
      summary.textContent =
        'No provider is configured: the built-in mailer sends every message of this tenant.';
    } else if (saved.enabled) {
      summary.textContent = `Messages are sent through ${typeInfo(saved.type).label} (version ${saved.version}).`;
    } else {
      summary.textContent = `The ${typeInfo(saved.type).label} provider is disabled: the built-in mailer sends every message of this tenant (version ${saved.version}).`;
    }
  }

  const lastVerified = h('p', { id: 'last-verified' });
  const healthLine = h('p', { id: 'provider-health', hidden: true });
  function renderHealth() {
    // The breaker guards the tenant's provider only: nothing to show while the built-in mailer sends.
    const health = saved?.enabled ? saved.health : undefined;
    healthLine.hidden = health === undefined || health === null;
    healthLine.replaceChildren(...(healthLine.hidden ? [] : describeHealth(health)));
  }
  function renderVerification() {
    if (saved === null) {
      lastVerified.replaceChildren('Nothing saved to verify yet.');
    } else if (saved.lastVerifiedAt === null) {
      lastVerified.replaceChildren('Not verified since the connection settings last changed.');
    } else if (saved.lastVerifyError) {
      lastVerified.replaceChildren(
        'Last verification ',
        time(saved.lastVerifiedAt),
        ' failed: ',
        ...describeProviderError(saved.lastVerifyError),
      );
    } else {
      lastVerified.replaceChildren('Last verification ', time(saved.lastVerifiedAt), ' succeeded.');
    }
  }

  function clearErrors() {
    errorSummary.hidden = true;
    errorSummary.replaceChildren();
    for (const el of root.querySelectorAll('.field-error')) {
      el.hidden = true;
      el.textContent = '';
    }
    for (const el of root.querySelectorAll('[aria-invalid]')) {
      el.removeAttribute('aria-invalid');
    }
  }

  /** Puts each `data.errors[]` entry at its field (`smtpConfig.smtp_port` → that input). */
  function showFieldErrors(errors, prefix = '') {
    const items = [];
    let first = null;
    for (const { field, messages } of errors) {
      const path = prefix !== '' && field.startsWith(prefix) ? field.slice(prefix.length) : field;
      const target = root.querySelector(`[data-field="${CSS.escape(path)}"]`);
      const text = messages.join(' ');
      const visible = target !== null && target.closest('[hidden]') === null;
      if (visible) {
        const errorEl =
          target.tagName === 'FIELDSET'
            ? target.querySelector(':scope > .field-error')
            : target.querySelector('.field-error');
        errorEl.textContent = text;
        errorEl.hidden = false;
        const input = target.querySelector('input');
        if (input !== null && target.tagName !== 'FIELDSET') {
          input.setAttribute('aria-invalid', 'true');
          first ??= input;
        }
        first ??= target.querySelector('input');
      }
      items.push(h('li', {}, `${path}: ${text}`));
    }
    showErrorSummary(errorSummary, items, first);
  }

  /** Runs one action with its buttons disabled; API errors go to the fields or the outcome. */
  function act(buttons, el, work, prefix) {
    const showErrors = (errors) => showFieldErrors(errors, prefix);
    return runAction({ buttons, outcome: el, clearErrors, showFieldErrors: showErrors }, work);
  }

  const saveButton = h('button', { type: 'submit', class: 'primary' }, 'Save');
  const verifyButton = h(
    'button',
    { type: 'button', id: 'verify', class: 'secondary' },
    'Verify connection',
  );
  const testButton = h(
    'button',
    { type: 'button', id: 'send-test', class: 'secondary' },
    'Send test email',
  );
  const recipient = h('input', {
    id: 'test-recipient',
    type: 'email',
    autocomplete: 'email',
    spellcheck: 'false',
    'aria-describedby': 'test-recipient-help test-recipient-error',
  });
  const actionButtons = [saveButton, verifyButton, testButton];

  async function save() {
    await act(actionButtons, outcome, async () => {
      const before = saved?.version;
      const result = await api('POST', '/api/v3/config-email-provider', buildBody());
      fill(result);
      setOutcome(
        outcome,
        'ok',
        before === result.version ? 'Nothing changed.' : `Saved: version ${result.version}.`,
      );
      await loadHistory(false);
    });
  }

  async function verify() {
    await act(actionButtons, outcome, async () => {
      const unsaved = dirty();
      const label = typeInfo(chosenType()).label;
      const result = await api('POST', '/api/v3/verify-email-provider', unsaved ? candidate() : {});
      if (result.ok) {
        setOutcome(
          outcome,
          'ok',
          `Verified: ${label} accepted the connection and the sign-in${unsaved ? ' (unsaved settings: save them to use them)' : ''}.`,
        );
      } else {
        setOutcome(
          outcome,
          'fail',
          'Verification failed: ',
          ...describeProviderError(result.error),
        );
      }
      if (!unsaved) {
        fill(await api('GET', '/api/v3/get-email-provider'));
        await loadHistory(false);
      }
    });
  }

  async function sendTest() {
    await act(
      actionButtons,
      testOutcome,
      async () => {
        const email = recipient.value.trim();
        const body = dirty() ? { email, config: candidate() } : { email };
        const result = await api('POST', '/api/v3/send-test-email', body);
        if (result.ok) {
          setOutcome(
            testOutcome,
            'ok',
            `Test email sent to ${email}${body.config ? ' with the unsaved settings' : ''}.`,
            result.providerMessageId ? ` Provider message id: ${result.providerMessageId}.` : '',
          );
        } else {
          setOutcome(
            testOutcome,
            'fail',
            'Test email failed: ',
            ...describeProviderError(result.error),
          );
        }
      },
      'config.',
    );
  }

  verifyButton.addEventListener('click', () => void verify());
  testButton.addEventListener('click', () => void sendTest());

  const form = h(
    'form',
    {
      id: 'provider-form',
      novalidate: true,
      hidden: true,
      'aria-labelledby': 'provider-title',
      onsubmit: (event) => {
        event.preventDefault();
        void save();
      },
    },
    errorSummary,
    h(
      'section',
      { class: 'card', 'aria-labelledby': 'delivery-title' },
      h('h2', { id: 'delivery-title' }, 'Delivery'),
      h(
        'div',
        { class: 'field switch', dataset: { field: 'enabled' } },
        enabled,
        h('label', { for: 'enabled' }, 'Send through this provider ', enabledState),
        h(
          'p',
          { class: 'help', id: 'enabled-help' },
          'When this is off (disabled), the built-in mailer sends every message of this tenant. The settings below are kept.',
        ),
        h('p', { class: 'field-error', id: 'enabled-error', hidden: true }),
      ),
      h(
        'div',
        { class: 'field check', dataset: { field: 'fallbackOnFailure' } },
        fallback,
        h('label', { for: 'fallbackOnFailure' }, 'Fall back to the built-in mailer on failure'),
        h(
          'p',
          { class: 'help', id: 'fallback-help' },
          'After authentication errors or exhausted retries, send through the built-in mailer instead of failing the message.',
        ),
        h('p', { class: 'field-error', id: 'fallbackOnFailure-error', hidden: true }),
      ),
    ),
    h(
      'section',
      { class: 'card', 'aria-labelledby': 'settings-title' },
      h('h2', { id: 'settings-title' }, 'Provider'),
      h(
        'fieldset',
        { class: 'types', dataset: { field: 'type' } },
        h('legend', {}, 'Provider type'),
        h('p', { class: 'field-error', id: 'type-error', hidden: true }),
        TYPES.map((t, i) =>
          h('div', { class: 'radio' }, radios[i], h('label', { for: `type-${t.type}` }, t.label)),
        ),
      ),
      TYPES.map((t) => fieldsets[t.type]),
      h('div', { class: 'actions' }, saveButton, verifyButton),
      outcome,
    ),
  );

  const testSection = h(
    'section',
    { class: 'card', 'aria-labelledby': 'test-title' },
    h('h2', { id: 'test-title' }, 'Send a test email'),
    field({
      name: 'email',
      id: 'test-recipient',
      label: 'Recipient',
      control: recipient,
      help: 'Sends one real message with the settings above (unsaved edits included).',
    }),
    h('div', { class: 'actions' }, testButton),
    testOutcome,
  );

  const verificationSection = h(
    'section',
    { class: 'card', 'aria-labelledby': 'verification-title' },
    h('h2', { id: 'verification-title' }, 'Verification and health'),
    lastVerified,
    healthLine,
  );

  const history = historyCard({
    path: '/api/v3/email-provider-history',
    caption: 'Changes to the provider configuration, newest first',
    describe: describeChange,
    ids: { title: 'history-title', table: 'history', rows: 'history-rows' },
  });
  const loadHistory = history.load;

  root.replaceChildren(
    h('h1', { id: 'provider-title' }, 'Email provider'),
    summary,
    form,
    testSection,
    verificationSection,
    history.section,
  );

  void (async () => {
    try {
      const config = await api('GET', '/api/v3/get-email-provider');
      if (signal.aborted) {
        return;
      }
      fill(config);
      await loadHistory(false);
    } catch (error) {
      if (!(error instanceof ApiError)) {
        throw error;
      }
      summary.textContent =
        error.statusCode === 403
          ? `This key cannot read the provider configuration: ${error.message}.`
          : `The configuration could not be loaded: ${error.detail}`;
      form.hidden = true;
    }
  })();
}
