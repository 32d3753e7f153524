// Tiny DOM helpers. Text always goes in as text nodes: nothing from the API is ever parsed as HTML.

/**
 * h('button', { type: 'button', class: 'primary', onclick: fn }, 'Save')
 * Props: `class`, `text`, `hidden`, `dataset`, on<event> listeners, DOM properties for `value`,
 * `checked`, `disabled`, `readOnly`, `srcdoc`; anything else becomes an attribute.
 */
export function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(props ?? {})) {
    if (value === undefined || value === null || value === false) {
      continue;
    }
    if (key === 'class') {
      el.className = value;
    } else if (key === 'text') {
      el.textContent = String(value);
    } else if (key === 'dataset') {
      Object.assign(el.dataset, value);
    } else if (key.startsWith('on') && typeof value === 'function') {
      el.addEventListener(key.slice(2), value);
    } else if (['value', 'checked', 'disabled', 'readOnly', 'hidden', 'srcdoc'].includes(key)) {
      el[key] = value;
    } else if (key === 'style' || key === 'innerHTML' || key === 'outerHTML') {
      throw new Error(`h(): ${key} is not allowed`);
    } else {
      el.setAttribute(key, value === true ? '' : String(value));
    }
  }
  append(el, children);
  return el;
}

export function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) {
      continue;
    }
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

export function clear(el) {
  el.replaceChildren();
  return el;
}

/** A <time> with the local date and time, the ISO value in `datetime`. */
export function time(iso) {
  if (iso === null || iso === undefined) {
    return '—';
  }
  const date = new Date(iso);
  return h('time', { datetime: date.toISOString(), title: date.toISOString() }, formatTime(date));
}

export function formatTime(date) {
  return date.toLocaleString(undefined, {
    year: 'numeric',
    month: 'short',
    day: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  });
}

/** `Ada <ada@example.com>` from the API's address objects (or a list of them). */
export function formatAddresses(value) {
  const list = Array.isArray(value) ? value : value === null || value === undefined ? [] : [value];
  return list
    .map((a) => (typeof a === 'string' ? a : a?.name ? `${a.name} <${a.email}>` : (a?.email ?? '')))
    .filter((s) => s !== '')
    .join(', ');
}

/** Moves focus to a page's heading so keyboard and screen reader users land on the new page. */
export function focusHeading(root) {
  const heading = root.querySelector('h1');
  if (heading !== null) {
    heading.setAttribute('tabindex', '-1');
    heading.focus({ preventScroll: false });
  }
}

let uid = 0;
/** A document-unique id for label/aria wiring. */
export function nextId(prefix) {
  uid += 1;
  return `${prefix}-${uid}`;
}

/**
 * A `.stack` table (rows become cards on narrow screens) in its scrolling wrapper: an optional
 * id and visually hidden caption, one header cell per column, then `body` (a <tbody>).
 */
export function stackTable({ id, caption, columns }, body) {
  return h(
    'div',
    { class: 'table-wrap' },
    h(
      'table',
      { class: 'stack', id },
      caption === undefined ? null : h('caption', { class: 'visually-hidden' }, caption),
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          columns.map((c) => h('th', { scope: 'col' }, c)),
        ),
      ),
      body,
    ),
  );
}

/** Waits `ms` unless the page is left first (`signal` aborts when it is). */
export function pause(ms, signal) {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}
