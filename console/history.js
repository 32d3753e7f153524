import { api, ApiError } from './api.js';
import { h, stackTable, time } from './dom.js';

/**
 * One row of an audit trail (provider config or template history): when, version, action, the
 * key that made it, and each changed field as `describe(field, change)` words it.
 */
export function historyRow(entry, describe) {
  return h(
    'tr',
    {},
    h('td', { dataset: { label: 'When' } }, time(entry.createdAt)),
    h('td', { dataset: { label: 'Version' } }, String(entry.version)),
    h('td', { dataset: { label: 'Action' } }, entry.action),
    h('td', { dataset: { label: 'By key' } }, entry.actorKeyId ?? '—'),
    h(
      'td',
      { dataset: { label: 'Changes' } },
      h(
        'ul',
        { class: 'changes' },
        Object.entries(entry.changes ?? {}).map(([field, change]) =>
          h('li', {}, describe(field, change)),
        ),
      ),
    ),
  );
}

/**
 * The "Change history" card of an audit trail: historyRow()s ten at a time, older ones on demand.
 * `ids` names the card's elements (title, table, rows, note); `load(false)` redraws from the
 * newest. With a `signal`, an answer that arrives after the page was left is dropped.
 */
export function historyCard({ path, params = {}, caption, describe, ids, signal }) {
  let cursor = null;
  const rows = h('tbody', { id: ids.rows });
  const older = h(
    'button',
    { type: 'button', class: 'secondary', hidden: true, onclick: () => void load(true) },
    'Show older changes',
  );
  const note = h('p', { class: 'help', role: 'status', id: ids.note });
  const section = h(
    'section',
    { class: 'card', 'aria-labelledby': ids.title },
    h('h2', { id: ids.title }, 'Change history'),
    stackTable(
      { caption: caption, columns: ['When', 'Version', 'Action', 'By key', 'Changes'] },
      rows,
    ),
    note,
    older,
  );

  async function load(append) {
    const query = new URLSearchParams({ ...params, limit: '10' });
    if (append && cursor !== null) {
      query.set('cursor', cursor);
    }
    try {
      const page = await api('GET', `${path}?${query}`);
      if (signal?.aborted) {
        return;
      }
      if (!append) {
        rows.replaceChildren();
      }
      for (const entry of page.list) {
        rows.append(historyRow(entry, describe));
      }
      cursor = page.nextCursor;
      older.hidden = cursor === null;
      note.textContent = rows.children.length === 0 ? 'No changes yet.' : '';
    } catch (error) {
      if (!(error instanceof ApiError)) {
        throw error;
      }
      note.textContent = `The history could not be loaded: ${error.detail}`;
    }
  }

  return { section, load };
}
