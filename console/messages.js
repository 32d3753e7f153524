import { api, ApiError } from './api.js';
import { formatAddresses, h, pause, stackTable, time } from './dom.js';
import { parseMime } from './mime.js';
import { cursorPager } from './pager.js';

// Messages: the outbox list (status filter, cursor paging) and one message with each recipient's
// state, its event timeline (cursor paging), its attempts, retry for failed ones, and for captured
// ones a script-free preview and the raw MIME as text.

const STATUSES = [
  'queued',
  'sending',
  'sent',
  'delivered',
  'bounced',
  'complained',
  'failed',
  'suppressed',
];
const PAGE_SIZE = 20;
/** Events per page of a message's timeline (the API allows up to 500). */
const EVENTS_PAGE_SIZE = 50;
/** Polling of a message that is not final: quick at first, then every 10 s at most. */
const POLL_FIRST_MS = 1000;
const POLL_MAX_MS = 10_000;

function statusBadge(status) {
  return h('span', { class: `badge status-${status}` }, status);
}

function describeError(error) {
  if (error === null || error === undefined) {
    return '—';
  }
  const code = [error.code, error.status].filter((v) => v !== undefined && v !== null).join(' ');
  return [
    h('span', { class: `badge badge-${error.class}` }, error.class),
    ` ${code}: ${error.message}`,
  ];
}

/** The few fields of an event's or recipient's data an operator reads first; the rest stays in `data`. */
function detailOf(data) {
  if (data === null || data === undefined || typeof data !== 'object') {
    return '—';
  }
  const parts = [];
  if (typeof data.bounceType === 'string') {
    parts.push(`${data.bounceType} bounce`);
  }
  if (typeof data.phase === 'string') {
    parts.push(`at ${data.phase}`);
  }
  const error = typeof data.error === 'object' && data.error !== null ? data.error : data;
  const klass = error.class ?? error.errorClass;
  if (typeof klass === 'string') {
    parts.push(klass);
  }
  const code = data.smtpCode ?? data.code ?? error.code ?? data.status;
  const text = data.reply ?? data.reason ?? data.response ?? error.message;
  const hasText = typeof text === 'string' && text !== '';
  // An SMTP reply already starts with its code: "550 5.1.1 No such user".
  if (
    code !== undefined &&
    code !== null &&
    typeof code !== 'object' &&
    !(hasText && text.startsWith(String(code)))
  ) {
    parts.push(String(code));
  }
  if (hasText) {
    parts.push(text);
  }
  return parts.length === 0 ? '—' : parts.join(' · ');
}

function recipientsCard(recipients) {
  return h(
    'section',
    { class: 'card', 'aria-labelledby': 'recipients-title' },
    h('h2', { id: 'recipients-title' }, 'Recipients'),
    recipients.length === 0
      ? h('p', { class: 'help' }, 'No recipient state yet.')
      : stackTable(
          {
            id: 'recipients',
            caption: "Each recipient's state",
            columns: ['Recipient', 'State', 'Since', 'Detail'],
          },
          h(
            'tbody',
            {},
            recipients.map((r) =>
              h(
                'tr',
                { dataset: { recipient: r.email } },
                h('td', { dataset: { label: 'Recipient' } }, r.email),
                h('td', { dataset: { label: 'State' } }, statusBadge(r.state)),
                h('td', { dataset: { label: 'Since' } }, r.at ? time(r.at) : '—'),
                h('td', { dataset: { label: 'Detail' } }, detailOf(r)),
              ),
            ),
          ),
        ),
  );
}

/**
 * The message's event timeline, oldest first: the first page at once, "Load more" follows the
 * cursor, "Refresh" starts again (provider events such as SendGrid's arrive after `sent`).
 */
function timelineCard(id, signal) {
  const rows = h('tbody', { id: 'event-rows' });
  const note = h('p', { class: 'help', id: 'events-note', role: 'status' }, 'Loading…');
  let next = null;
  let loading = false;
  const more = h(
    'button',
    { type: 'button', class: 'secondary', id: 'events-more', onclick: () => void load(next) },
    'Load more',
  );
  const refresh = h(
    'button',
    {
      type: 'button',
      class: 'secondary',
      id: 'events-refresh',
      onclick: () => {
        rows.replaceChildren();
        void load(null);
      },
    },
    'Refresh',
  );

  function row(e) {
    return h(
      'tr',
      { dataset: { event: e.type } },
      h('td', { dataset: { label: 'Time' } }, time(e.occurredAt)),
      h(
        'td',
        { dataset: { label: 'Event' } },
        h('span', { class: `badge status-${e.type}` }, e.type),
      ),
      h('td', { dataset: { label: 'Recipient' } }, e.recipient ?? 'all'),
      h('td', { dataset: { label: 'Source' } }, e.source),
      h(
        'td',
        { dataset: { label: 'Detail' } },
        detailOf(e.data),
        e.data === null
          ? null
          : h(
              'details',
              { class: 'raw' },
              h('summary', {}, 'Data'),
              h('pre', { class: 'mime' }, JSON.stringify(e.data, null, 2)),
            ),
      ),
    );
  }

  async function load(cursor) {
    if (loading) {
      return;
    }
    loading = true;
    more.disabled = true;
    refresh.disabled = true;
    note.textContent = 'Loading…';
    const query = new URLSearchParams({ limit: String(EVENTS_PAGE_SIZE) });
    if (cursor !== null) {
      query.set('cursor', cursor);
    }
    try {
      const page = await api('GET', `/v1/emails/${encodeURIComponent(id)}/events?${query}`);
      if (signal.aborted) {
        return;
      }
      rows.append(...page.items.map(row));
      next = page.nextCursor;
      const shown = rows.children.length;
      note.textContent =
        shown === 0
          ? 'No event yet.'
          : `${shown} event${shown === 1 ? '' : 's'}${next === null ? '' : ', more to load'}.`;
    } catch (error) {
      if (!(error instanceof ApiError)) {
        throw error;
      }
      note.textContent = `The events could not be loaded: ${error.detail}`;
    } finally {
      loading = false;
      more.disabled = next === null;
      refresh.disabled = false;
    }
  }

  more.disabled = true;
  const card = h(
    'section',
    { class: 'card', 'aria-labelledby': 'events-title' },
    h('h2', { id: 'events-title' }, 'Timeline'),
    stackTable(
      {
        id: 'events',
        caption: 'Events of this message, oldest first',
        columns: ['Time', 'Event', 'Recipient', 'Source', 'Detail'],
      },
      rows,
    ),
    note,
    h('nav', { class: 'pager', 'aria-label': 'Timeline pages' }, more, refresh),
  );
  void load(null);
  return card;
}

export function renderMessages(root, { status, signal }) {
  let filter = STATUSES.includes(status) ? status : '';

  const select = h(
    'select',
    {
      id: 'status-filter',
      onchange: () => {
        filter = select.value;
        history.replaceState(
          null,
          '',
          filter === '' ? '#/messages' : `#/messages?status=${filter}`,
        );
        pager.restart();
        void load(null);
      },
    },
    h('option', { value: '' }, 'All'),
    STATUSES.map((s) => h('option', { value: s }, s)),
  );
  select.value = filter;
  const rows = h('tbody', { id: 'message-rows' });
  const note = h('p', { class: 'help', id: 'messages-note', role: 'status' });
  const pager = cursorPager(load);
  const { newer, older } = pager;
  const refresh = h(
    'button',
    { type: 'button', class: 'secondary', onclick: () => void load(pager.current) },
    'Refresh',
  );

  async function load(cursor) {
    note.textContent = 'Loading…';
    const query = new URLSearchParams({ limit: String(PAGE_SIZE) });
    if (filter !== '') {
      query.set('status', filter);
    }
    if (cursor !== null) {
      query.set('cursor', cursor);
    }
    try {
      const page = await api('GET', `/v1/emails?${query}`);
      if (signal.aborted) {
        return;
      }
      pager.shown(cursor, page.nextCursor);
      rows.replaceChildren(
        ...page.items.map((m) =>
          h(
            'tr',
            {},
            h('td', { dataset: { label: 'Created' } }, time(m.createdAt)),
            h(
              'td',
              { dataset: { label: 'Subject' } },
              h('a', { href: `#/messages/${encodeURIComponent(m.id)}` }, subjectOf(m)),
            ),
            h('td', { dataset: { label: 'To' } }, formatAddresses(m.to)),
            h('td', { dataset: { label: 'Status' } }, statusBadge(m.status)),
            h('td', { dataset: { label: 'Transport' } }, m.transport ?? '—'),
            h('td', { dataset: { label: 'Attempts' } }, String(m.attemptCount)),
          ),
        ),
      );
      note.textContent =
        page.items.length === 0
          ? filter === ''
            ? 'No messages yet.'
            : `No ${filter} messages.`
          : `${page.items.length} message${page.items.length === 1 ? '' : 's'} on this page.`;
    } catch (error) {
      if (!(error instanceof ApiError)) {
        throw error;
      }
      note.textContent = `The messages could not be loaded: ${error.detail}`;
    }
  }

  root.replaceChildren(
    h('h1', {}, 'Messages'),
    h(
      'div',
      { class: 'toolbar' },
      h('div', { class: 'field inline' }, h('label', { for: 'status-filter' }, 'Status'), select),
      refresh,
    ),
    stackTable(
      {
        id: 'messages',
        caption: 'Messages, newest first',
        columns: ['Created', 'Subject', 'To', 'Status', 'Transport', 'Attempts'],
      },
      rows,
    ),
    note,
    h('nav', { class: 'pager', 'aria-label': 'Pages' }, newer, older),
  );
  newer.disabled = true;
  older.disabled = true;
  void load(null);
}

/** The preview: HTML in a sandboxed srcdoc iframe (no scripts, no outside loads by the CSP). */
function preview(mime) {
  const { html, text } = parseMime(mime);
  const parts = [h('h2', { id: 'preview-title' }, 'Captured message')];
  parts.push(
    h(
      'p',
      { class: 'help' },
      'Stored by the capture:// built-in mailer and not delivered. Scripts, forms and remote content are blocked in the preview.',
    ),
  );
  if (html !== null) {
    // sandbox="" is set before srcdoc: the frame is an opaque origin that can run nothing.
    const frame = h('iframe', {
      id: 'preview',
      class: 'preview',
      title: 'HTML preview of the captured message',
      sandbox: '',
      referrerpolicy: 'no-referrer',
      loading: 'lazy',
    });
    frame.srcdoc = html;
    parts.push(frame);
  } else if (text !== null) {
    parts.push(h('pre', { class: 'mime', id: 'preview-text' }, text));
  } else {
    parts.push(h('p', {}, 'No text or HTML part to preview.'));
  }
  parts.push(
    h(
      'details',
      { class: 'raw' },
      h('summary', {}, 'Raw MIME'),
      h('pre', { class: 'mime', id: 'raw-mime', tabindex: '0' }, mime),
    ),
  );
  return h('section', { class: 'card', 'aria-labelledby': 'preview-title' }, parts);
}

/** A sensitive message's subject is content: the API never returns it. */
function subjectOf(m) {
  return m.sensitive ? '(sensitive message)' : m.subject || '(no subject)';
}

function contentState(m) {
  switch (m.content) {
    case 'sealed':
      return 'Sensitive: encrypted, removed when final';
    case 'purged':
      return `Purged ${time(m.contentPurgedAt)}`;
    default:
      return 'Stored';
  }
}

export function renderMessage(root, { id, signal }) {
  const title = h('h1', {}, 'Message');
  const body = h('div', { id: 'message-detail' }, h('p', { class: 'help' }, 'Loading…'));
  const outcome = h('div', { class: 'outcome', id: 'message-outcome', role: 'status' });
  let lastState = null;

  function render(m) {
    title.textContent = subjectOf(m);
    const facts = [
      ['Id', m.id],
      ['Status', statusBadge(m.status)],
      ['From', formatAddresses(m.from) || '(default sender)'],
      ['To', formatAddresses(m.to)],
      ['Cc', formatAddresses(m.cc) || '—'],
      ['Transport', m.transport ?? '—'],
      ['Fallback reason', m.fallbackReason ?? '—'],
      ['Provider message id', m.providerMessageId ?? '—'],
      ['Attempts', String(m.attemptCount)],
      ['Next attempt', m.nextAttemptAt === null ? '—' : time(m.nextAttemptAt)],
      ['Last error', describeError(m.lastError)],
      ['Created', time(m.createdAt)],
      ['Sent', m.sentAt === null ? '—' : time(m.sentAt)],
      ['Content', contentState(m)],
    ];
    const retry =
      m.status === 'failed'
        ? h(
            'button',
            {
              type: 'button',
              class: 'primary',
              id: 'retry',
              onclick: async (event) => {
                const button = event.currentTarget;
                button.disabled = true;
                try {
                  await api('POST', `/v1/emails/${encodeURIComponent(m.id)}/retry`);
                  outcome.className = 'outcome ok';
                  outcome.textContent = 'Queued again: the dispatcher will retry it shortly.';
                  void poll();
                } catch (error) {
                  if (!(error instanceof ApiError)) {
                    throw error;
                  }
                  outcome.className = 'outcome fail';
                  outcome.textContent = `Retry refused: ${error.detail}`;
                  button.disabled = false;
                }
              },
            },
            'Retry',
          )
        : null;
    const attempts = m.attempts ?? [];
    body.replaceChildren(
      h(
        'section',
        { class: 'card', 'aria-labelledby': 'summary-title' },
        h('h2', { id: 'summary-title' }, 'Summary'),
        h(
          'dl',
          { class: 'facts' },
          facts.map(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]),
        ),
        retry === null ? null : h('div', { class: 'actions' }, retry),
      ),
      recipientsCard(m.recipients ?? []),
      timelineCard(m.id, signal),
      h(
        'section',
        { class: 'card', 'aria-labelledby': 'attempts-title' },
        h('h2', { id: 'attempts-title' }, 'Attempts'),
        attempts.length === 0
          ? h('p', { class: 'help' }, 'No attempt yet.')
          : stackTable(
              {
                id: 'attempts',
                caption: 'Delivery attempts, first to last',
                columns: ['#', 'Time', 'Transport', 'Outcome', 'Error class', 'Error', 'Duration'],
              },
              h(
                'tbody',
                {},
                attempts.map((a) =>
                  h(
                    'tr',
                    {},
                    h('td', { dataset: { label: '#' } }, String(a.attempt)),
                    h('td', { dataset: { label: 'Time' } }, time(a.startedAt)),
                    h('td', { dataset: { label: 'Transport' } }, a.transport),
                    h('td', { dataset: { label: 'Outcome' } }, statusBadge(a.outcome)),
                    h(
                      'td',
                      { dataset: { label: 'Error class' } },
                      a.errorClass === null
                        ? '—'
                        : h('span', { class: `badge badge-${a.errorClass}` }, a.errorClass),
                    ),
                    h(
                      'td',
                      { dataset: { label: 'Error' } },
                      a.errorMessage === null
                        ? '—'
                        : `${[a.errorCode, a.errorStatus].filter((v) => v !== null).join(' ')}: ${a.errorMessage}`,
                    ),
                    h('td', { dataset: { label: 'Duration' } }, `${a.durationMs} ms`),
                  ),
                ),
              ),
            ),
      ),
      ...(typeof m.capturedMime === 'string' ? [preview(m.capturedMime)] : []),
    );
  }

  async function fetchOnce() {
    const m = await api('GET', `/v1/emails/${encodeURIComponent(id)}`);
    if (signal.aborted) {
      return null;
    }
    // Redraw only on change, so an open <details> or a focused button is not reset needlessly.
    const state = JSON.stringify([m.status, m.attemptCount, m.recipients ?? []]);
    if (state !== lastState) {
      lastState = state;
      render(m);
    }
    return m;
  }

  let polling = false;
  /** Follows a message that is not final yet, until it is or the page is left. */
  async function poll() {
    if (polling) {
      return;
    }
    polling = true;
    let delay = POLL_FIRST_MS;
    try {
      for (;;) {
        const m = await fetchOnce();
        // queued/sending are the only statuses the dispatcher still moves.
        if (m === null || (m.status !== 'queued' && m.status !== 'sending') || signal.aborted) {
          return;
        }
        await pause(delay, signal);
        delay = Math.min(delay * 1.5, POLL_MAX_MS);
      }
    } catch (error) {
      if (!(error instanceof ApiError)) {
        throw error;
      }
      body.replaceChildren(
        h(
          'p',
          { class: 'outcome fail' },
          error.statusCode === 404
            ? 'No such message for this tenant.'
            : `The message could not be loaded: ${error.detail}`,
        ),
      );
    } finally {
      polling = false;
    }
  }

  root.replaceChildren(
    h('p', {}, h('a', { href: '#/messages' }, '← All messages')),
    title,
    outcome,
    body,
  );
  void poll();
}
