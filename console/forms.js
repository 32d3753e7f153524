import { ApiError } from './api.js';
import { h } from './dom.js';

// Form pieces the provider and template pages share: a field with its help and error line, the
// outcome line of an action, the error summary a rejected body fills, and running an action.

/**
 * A `.field` wrapper named `name` (the API field its errors go to): label, control, help when
 * given (`<id>-help`), and the error line (`<id>-error`) the page's showFieldErrors fills.
 */
export function field({ name, id, label, control, help }) {
  return h(
    'div',
    { class: 'field', dataset: { field: name } },
    h('label', { for: id }, label),
    control,
    help ? h('p', { class: 'help', id: `${id}-help` }, help) : null,
    h('p', { class: 'field-error', id: `${id}-error`, hidden: true }),
  );
}

/** Shows how an action went: `kind` is busy, ok or fail (the outcome's CSS class). */
export function setOutcome(el, kind, ...nodes) {
  el.className = `outcome ${kind}`;
  el.replaceChildren(...nodes);
}

/** Lists the rejected fields (`items`, <li>s) in `summary` and moves the focus to `first` or it. */
export function showErrorSummary(summary, items, first) {
  summary.replaceChildren(
    h('p', {}, `Please fix ${items.length === 1 ? 'this field' : `these ${items.length} fields`}:`),
    h('ul', {}, items),
  );
  summary.hidden = false;
  (first ?? summary).focus();
}

/**
 * Runs one action with its buttons disabled and `outcome` saying how it went: the last errors are
 * cleared first, and a rejected body's field errors go to `showFieldErrors`.
 */
export async function runAction({ buttons, outcome, clearErrors, showFieldErrors }, work) {
  clearErrors();
  setOutcome(outcome, 'busy', 'Working…');
  for (const b of buttons) {
    b.disabled = true;
  }
  try {
    await work();
  } catch (error) {
    if (!(error instanceof ApiError)) {
      throw error;
    }
    if (error.fieldErrors.length > 0) {
      showFieldErrors(error.fieldErrors);
      setOutcome(outcome, 'fail', `Not accepted: ${error.detail}`);
    } else {
      setOutcome(outcome, 'fail', error.detail);
    }
  } finally {
    for (const b of buttons) {
      b.disabled = false;
    }
  }
}
