import { h, time } from './dom.js';

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
