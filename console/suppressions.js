import { api, ApiError } from './api.js';
import { h, nextId, stackTable, time } from './dom.js';
import { cursorPager } from './pager.js';

// Suppressions: the tenant's suppression list (addresses mailgate no longer attempts: hard
// bounces, complaints, provider drops, manual entries). Search by address, add one, remove one.

const REASONS = ['manual', 'hard_bounce', 'complaint', 'dropped', 'unsubscribe'];
const PAGE_SIZE = 25;

/** `email: is not a valid address` lines of a validation answer, or its message. */
function refusal(error) {
  const fields = error.fieldErrors.map(
    (f) => `${f.field}: ${Array.isArray(f.messages) ? f.messages.join(', ') : ''}`,
  );
  return fields.length === 0 ? error.detail : `${error.detail} (${fields.join('; ')})`;
}

export function renderSuppressions(root, { email, signal }) {
  let search = email;

  const outcome = h('div', { class: 'outcome', id: 'suppressions-outcome', role: 'status' });
  const rows = h('tbody', { id: 'suppression-rows' });
  const note = h('p', { class: 'help', id: 'suppressions-note', role: 'status' });

  const searchId = nextId('suppression-search');
  const searchInput = h('input', {
    id: searchId,
    type: 'search',
    value: search,
    autocomplete: 'off',
    spellcheck: 'false',
    maxlength: '254',
  });
  const searchForm = h(
    'form',
    {
      class: 'toolbar',
      role: 'search',
      onsubmit: (event) => {
        event.preventDefault();
        search = searchInput.value.trim();
        history.replaceState(
          null,
          '',
          search === '' ? '#/suppressions' : `#/suppressions?email=${encodeURIComponent(search)}`,
        );
        pager.restart();
        void load(null);
      },
    },
    h(
      'div',
      { class: 'field inline' },
      h('label', { for: searchId }, 'Search by address'),
      searchInput,
      h('button', { type: 'submit', class: 'secondary' }, 'Search'),
    ),
  );

  const pager = cursorPager(load);
  const { newer, older } = pager;

  function setOutcome(kind, text) {
    outcome.className = `outcome ${kind}`;
    outcome.textContent = text;
  }

  async function remove(entry, button) {
    button.disabled = true;
    try {
      await api('DELETE', `/v1/suppressions/${encodeURIComponent(entry.email)}`);
      if (signal.aborted) {
        return;
      }
      setOutcome('ok', `Removed ${entry.email}: the next message to it is sent.`);
      await load(pager.current);
    } catch (error) {
      if (!(error instanceof ApiError)) {
        throw error;
      }
      setOutcome('fail', `Not removed: ${refusal(error)}`);
      button.disabled = false;
    }
  }

  function row(entry) {
    return h(
      'tr',
      { dataset: { email: entry.email } },
      h('td', { dataset: { label: 'Address' } }, entry.email),
      h('td', { dataset: { label: 'Reason' } }, entry.reason),
      h('td', { dataset: { label: 'Source' } }, entry.source),
      h(
        'td',
        { dataset: { label: 'Message' } },
        entry.sourceMessageId === null
          ? '—'
          : h(
              'a',
              { href: `#/messages/${encodeURIComponent(entry.sourceMessageId)}` },
              'the message',
            ),
      ),
      h('td', { dataset: { label: 'Added' } }, time(entry.createdAt)),
      h(
        'td',
        { dataset: { label: 'Action' } },
        h(
          'button',
          {
            type: 'button',
            class: 'secondary small',
            'aria-label': `Remove ${entry.email}`,
            onclick: (event) => void remove(entry, event.currentTarget),
          },
          'Remove',
        ),
      ),
    );
  }

  async function load(cursor) {
    note.textContent = 'Loading…';
    const query = new URLSearchParams({ limit: String(PAGE_SIZE) });
    if (search !== '') {
      query.set('email', search);
    }
    if (cursor !== null) {
      query.set('cursor', cursor);
    }
    try {
      const page = await api('GET', `/v1/suppressions?${query}`);
      if (signal.aborted) {
        return;
      }
      pager.shown(cursor, page.nextCursor);
      rows.replaceChildren(...page.items.map(row));
      note.textContent =
        page.items.length === 0
          ? search === ''
            ? 'No suppressed address: every recipient is attempted.'
            : `No suppressed address contains “${search}”.`
          : `${page.items.length} address${page.items.length === 1 ? '' : 'es'} on this page.`;
    } catch (error) {
      if (!(error instanceof ApiError)) {
        throw error;
      }
      note.textContent = `The suppression list could not be loaded: ${refusal(error)}`;
    }
  }

  const addEmailId = nextId('suppression-email');
  const addReasonId = nextId('suppression-reason');
  const addEmail = h('input', {
    id: addEmailId,
    type: 'email',
    required: true,
    autocomplete: 'off',
    spellcheck: 'false',
    maxlength: '254',
  });
  const addReason = h(
    'select',
    { id: addReasonId },
    REASONS.map((r) => h('option', { value: r }, r)),
  );
  const addButton = h('button', { type: 'submit', class: 'primary' }, 'Suppress');
  const addForm = h(
    'form',
    {
      id: 'suppression-add',
      novalidate: true,
      onsubmit: async (event) => {
        event.preventDefault();
        const address = addEmail.value.trim();
        if (address === '') {
          addEmail.setAttribute('aria-invalid', 'true');
          setOutcome('fail', 'Enter the address to suppress.');
          addEmail.focus();
          return;
        }
        addEmail.removeAttribute('aria-invalid');
        addButton.disabled = true;
        try {
          const added = await api('POST', '/v1/suppressions', {
            email: address,
            reason: addReason.value,
          });
          if (signal.aborted) {
            return;
          }
          setOutcome('ok', `Suppressed ${added.email}: messages to it are no longer attempted.`);
          addEmail.value = '';
          pager.restart();
          await load(null);
        } catch (error) {
          if (!(error instanceof ApiError)) {
            throw error;
          }
          if (error.fieldErrors.some((f) => f.field === 'email')) {
            addEmail.setAttribute('aria-invalid', 'true');
          }
          setOutcome('fail', `Not added: ${refusal(error)}`);
        } finally {
          addButton.disabled = false;
        }
      },
    },
    h('div', { class: 'field' }, h('label', { for: addEmailId }, 'Address'), addEmail),
    h('div', { class: 'field' }, h('label', { for: addReasonId }, 'Reason'), addReason),
    h('div', { class: 'actions' }, addButton),
  );

  root.replaceChildren(
    h('h1', {}, 'Suppressions'),
    h(
      'p',
      { class: 'help' },
      'Messages to these addresses are not attempted (a suppressed event in their timeline). Hard bounces and complaints add addresses here; remove one to send to it again.',
    ),
    outcome,
    h(
      'section',
      { class: 'card', 'aria-labelledby': 'suppression-list-title' },
      h('h2', { id: 'suppression-list-title' }, 'Suppressed addresses'),
      searchForm,
      stackTable(
        {
          id: 'suppressions',
          caption: 'Suppressed addresses, by address',
          columns: ['Address', 'Reason', 'Source', 'Message', 'Added', 'Action'],
        },
        rows,
      ),
      note,
      h('nav', { class: 'pager', 'aria-label': 'Pages' }, newer, older),
    ),
    h(
      'section',
      { class: 'card', 'aria-labelledby': 'suppression-add-title' },
      h('h2', { id: 'suppression-add-title' }, 'Suppress an address'),
      addForm,
    ),
  );
  newer.disabled = true;
  older.disabled = true;
  void load(null);
}
