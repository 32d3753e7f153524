import { api, ApiError } from './api.js';
import { h, nextId, stackTable, time } from './dom.js';
import { cursorPager } from './pager.js';

// Webhooks: the tenant's endpoints (create with the secret shown once, enable/disable, rotate,
// send a test event) and one endpoint's deliveries with their last attempt and a retry button.

const EVENTS = [
  'email.sent',
  'email.deferred',
  'email.failed',
  'email.delivered',
  'email.bounced',
  'email.complained',
  'email.suppressed',
];
const PAGE_SIZE = 20;

function problem(error) {
  if (error instanceof ApiError && error.fieldErrors.length > 0) {
    return error.fieldErrors.map((e) => `${e.field} ${e.messages.join('; ')}`).join(' · ');
  }
  return error instanceof ApiError ? error.detail : String(error);
}

/** The signing secret, shown this once, with a copy button. */
function secretPanel(secret, heading) {
  const copied = h('span', { class: 'help', role: 'status' });
  return h(
    'section',
    { class: 'card secret-once', id: 'webhook-secret', 'aria-label': heading },
    h('h2', {}, heading),
    h(
      'p',
      { class: 'help' },
      'Shown this once: store it with the receiver now. Verify calls with any Standard Webhooks library.',
    ),
    h(
      'div',
      { class: 'secret-once-row' },
      h('code', { id: 'webhook-secret-value' }, secret),
      h(
        'button',
        {
          type: 'button',
          class: 'secondary small',
          id: 'copy-secret',
          onclick: async () => {
            try {
              await window.navigator.clipboard.writeText(secret);
              copied.textContent = 'Copied.';
            } catch {
              copied.textContent = 'Copy failed: select the text and copy it.';
            }
          },
        },
        'Copy',
      ),
      copied,
    ),
  );
}

export function renderWebhooks(root, { signal }) {
  const note = h('p', { class: 'help', id: 'webhooks-note', role: 'status' });
  const secretSlot = h('div');
  const rows = h('tbody', { id: 'endpoint-rows' });
  const urlId = nextId('webhook-url');
  const descId = nextId('webhook-description');
  const url = h('input', {
    id: urlId,
    name: 'url',
    type: 'url',
    required: true,
    placeholder: 'https://hooks.example.com/mailgate',
  });
  const description = h('input', {
    id: descId,
    name: 'description',
    type: 'text',
    maxlength: '500',
  });
  const boxes = EVENTS.map((event) =>
    h('label', { class: 'radio' }, h('input', { type: 'checkbox', value: event }), event),
  );
  const empty = h('p', { class: 'help', id: 'endpoints-empty', hidden: true }, 'No endpoints yet.');
  const formError = h('p', { class: 'field-error', id: 'webhook-form-error', role: 'alert' });

  async function act(label, fn) {
    note.textContent = `${label}…`;
    try {
      await fn();
      if (!signal.aborted) {
        note.textContent = `${label}: done.`;
      }
    } catch (error) {
      note.textContent = `${label} failed: ${problem(error)}`;
    }
    await load();
  }

  function row(ep) {
    const state = ep.disabled
      ? h('span', { class: 'badge status-failed', title: ep.disabledReason ?? '' }, 'disabled')
      : h('span', { class: 'badge status-sent' }, 'enabled');
    return h(
      'tr',
      { dataset: { endpoint: ep.id } },
      h(
        'td',
        { dataset: { label: 'URL' } },
        h('a', { href: `#/webhooks/${encodeURIComponent(ep.id)}` }, ep.url),
        ep.description ? h('div', { class: 'help' }, ep.description) : null,
      ),
      h('td', { dataset: { label: 'Events' } }, ep.events === null ? 'all' : ep.events.join(', ')),
      h(
        'td',
        { dataset: { label: 'State' } },
        state,
        ep.disabled && ep.disabledReason ? h('div', { class: 'help' }, ep.disabledReason) : null,
      ),
      h(
        'td',
        { dataset: { label: 'Actions' } },
        h(
          'div',
          { class: 'actions' },
          h(
            'button',
            {
              type: 'button',
              class: 'secondary small',
              onclick: () =>
                act(ep.disabled ? 'Enable' : 'Disable', () =>
                  api('PATCH', `/v1/webhook-endpoints/${encodeURIComponent(ep.id)}`, {
                    disabled: !ep.disabled,
                  }),
                ),
            },
            ep.disabled ? 'Enable' : 'Disable',
          ),
          h(
            'button',
            {
              type: 'button',
              class: 'secondary small',
              onclick: () =>
                act('Rotate secret', async () => {
                  const rotated = await api(
                    'POST',
                    `/v1/webhook-endpoints/${encodeURIComponent(ep.id)}/rotate-secret`,
                  );
                  secretSlot.replaceChildren(
                    secretPanel(
                      rotated.secret,
                      'New signing secret (the old one signs too for 24 h)',
                    ),
                  );
                }),
            },
            'Rotate secret',
          ),
          h(
            'button',
            {
              type: 'button',
              class: 'secondary small',
              disabled: ep.disabled,
              onclick: () =>
                act('Send test', () =>
                  api('POST', `/v1/webhook-endpoints/${encodeURIComponent(ep.id)}/test`),
                ),
            },
            'Send test',
          ),
          h(
            'button',
            {
              type: 'button',
              class: 'danger small',
              onclick: () => {
                if (window.confirm(`Delete the endpoint ${ep.url} and its deliveries?`)) {
                  void act('Delete', () =>
                    api('DELETE', `/v1/webhook-endpoints/${encodeURIComponent(ep.id)}`),
                  );
                }
              },
            },
            'Delete',
          ),
        ),
      ),
    );
  }

  async function load() {
    try {
      const list = await api('GET', '/v1/webhook-endpoints');
      if (signal.aborted) {
        return;
      }
      rows.replaceChildren(...list.map(row));
      empty.hidden = list.length > 0;
    } catch (error) {
      note.textContent = `Could not load the endpoints: ${problem(error)}`;
    }
  }

  const form = h(
    'form',
    {
      class: 'card',
      id: 'webhook-form',
      onsubmit: async (event) => {
        event.preventDefault();
        formError.textContent = '';
        const events = boxes.map((b) => b.querySelector('input')).filter((i) => i.checked);
        const body = { url: url.value.trim() };
        if (description.value.trim() !== '') {
          body.description = description.value.trim();
        }
        if (events.length > 0) {
          body.events = events.map((i) => i.value);
        }
        try {
          const created = await api('POST', '/v1/webhook-endpoints', body);
          secretSlot.replaceChildren(secretPanel(created.secret, 'Signing secret'));
          form.reset();
          await load();
        } catch (error) {
          formError.textContent = problem(error);
        }
      },
    },
    h('h2', {}, 'Add an endpoint'),
    h('div', { class: 'field' }, h('label', { for: urlId }, 'URL'), url),
    h(
      'div',
      { class: 'field' },
      h('label', { for: descId }, 'Description (optional)'),
      description,
    ),
    h('fieldset', { class: 'types' }, h('legend', {}, 'Events (none ticked: all)'), boxes),
    formError,
    h('button', { type: 'submit', class: 'primary' }, 'Create endpoint'),
  );

  root.replaceChildren(
    h('h1', {}, 'Webhooks'),
    h(
      'p',
      { class: 'help' },
      'mailgate POSTs each message event to these URLs, signed (Standard Webhooks), retried for about three days.',
    ),
    secretSlot,
    form,
    stackTable({ columns: ['URL', 'Events', 'State', 'Actions'] }, rows),
    empty,
    note,
  );
  void load();
}

export function renderWebhook(root, { id, signal }) {
  const info = h('div', { id: 'endpoint-info' });
  const rows = h('tbody', { id: 'delivery-rows' });
  const note = h('p', { class: 'help', id: 'deliveries-note', role: 'status' });
  const empty = h(
    'p',
    { class: 'help', id: 'deliveries-empty', hidden: true },
    'No deliveries yet.',
  );
  let endpointDisabled = false;
  const pager = cursorPager(load);
  const { newer, older } = pager;

  function row(d) {
    const badge =
      d.status === 'delivered'
        ? 'status-delivered'
        : d.status === 'failed'
          ? 'status-failed'
          : 'status-queued';
    return h(
      'tr',
      { dataset: { delivery: d.id } },
      h('td', { dataset: { label: 'Created' } }, time(d.createdAt)),
      h('td', { dataset: { label: 'Event' } }, d.type),
      h('td', { dataset: { label: 'Status' } }, h('span', { class: `badge ${badge}` }, d.status)),
      h('td', { dataset: { label: 'Attempts' } }, String(d.attempts)),
      h(
        'td',
        { dataset: { label: 'HTTP' } },
        d.lastStatusCode === null ? '—' : String(d.lastStatusCode),
      ),
      h(
        'td',
        { dataset: { label: 'Latency' } },
        d.lastLatencyMs === null ? '—' : `${d.lastLatencyMs} ms`,
      ),
      h('td', { dataset: { label: 'Error' } }, d.lastError ?? '—'),
      h('td', { dataset: { label: 'Next retry' } }, time(d.nextAttemptAt)),
      h(
        'td',
        { dataset: { label: 'Retry' } },
        h(
          'button',
          {
            type: 'button',
            class: 'secondary small',
            // The API refuses both (409): one is in flight, the other's endpoint must be enabled.
            disabled: d.status === 'delivering' || endpointDisabled,
            onclick: async () => {
              note.textContent = 'Retrying…';
              try {
                await api(
                  'POST',
                  `/v1/webhook-endpoints/${encodeURIComponent(id)}/deliveries/${encodeURIComponent(d.id)}/retry`,
                );
                note.textContent = `Delivery ${d.id} is due again.`;
              } catch (error) {
                note.textContent = `Retry failed: ${problem(error)}`;
              }
              await load(pager.current);
            },
          },
          'Retry',
        ),
      ),
    );
  }

  async function load(cursor) {
    const query = new URLSearchParams({ limit: String(PAGE_SIZE) });
    if (cursor !== null) {
      query.set('cursor', cursor);
    }
    try {
      const [ep, page] = await Promise.all([
        api('GET', `/v1/webhook-endpoints/${encodeURIComponent(id)}`),
        api('GET', `/v1/webhook-endpoints/${encodeURIComponent(id)}/deliveries?${query}`),
      ]);
      if (signal.aborted) {
        return;
      }
      pager.shown(cursor, page.nextCursor);
      endpointDisabled = ep.disabled;
      info.replaceChildren(
        h('p', {}, h('strong', {}, ep.url), ep.disabled ? ` — disabled: ${ep.disabledReason}` : ''),
      );
      rows.replaceChildren(...page.items.map(row));
      empty.hidden = page.items.length > 0;
    } catch (error) {
      note.textContent = `Could not load the deliveries: ${problem(error)}`;
    }
  }

  root.replaceChildren(
    h('p', {}, h('a', { href: '#/webhooks' }, '← Webhooks')),
    h('h1', {}, 'Webhook deliveries'),
    info,
    stackTable(
      {
        columns: [
          'Created',
          'Event',
          'Status',
          'Attempts',
          'HTTP',
          'Latency',
          'Error',
          'Next retry',
          'Retry',
        ],
      },
      rows,
    ),
    empty,
    h(
      'div',
      { class: 'pager' },
      newer,
      older,
      h(
        'button',
        { type: 'button', class: 'secondary', onclick: () => void load(pager.current) },
        'Refresh',
      ),
    ),
    note,
  );
  void load(null);
}
