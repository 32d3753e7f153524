import { h } from './dom.js';

/**
 * Newer and Older buttons over a cursor-paged list. `load(cursor)` draws one page (null: the
 * first) and calls `shown(cursor, page.nextCursor)` once the page is in; `current` is the cursor
 * of the page on screen, for a refresh.
 */
export function cursorPager(load) {
  // Cursors of the pages before the current one; the first page has none.
  let cursors = [];
  let current = null;
  let next = null;
  const newer = h(
    'button',
    { type: 'button', class: 'secondary', onclick: () => void load(cursors.pop() ?? null) },
    'Newer',
  );
  const older = h(
    'button',
    {
      type: 'button',
      class: 'secondary',
      onclick: () => {
        cursors.push(current);
        void load(next);
      },
    },
    'Older',
  );
  return {
    newer,
    older,
    get current() {
      return current;
    },
    /** Forgets the pages before this one, before a load(null) with other filters. */
    restart() {
      cursors = [];
    },
    shown(cursor, nextCursor) {
      current = cursor;
      next = nextCursor;
      newer.disabled = cursors.length === 0;
      older.disabled = next === null;
    },
  };
}
