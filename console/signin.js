import { api, ApiError, clearSession, saveSession } from './api.js';
import { h } from './dom.js';

/**
 * Sign-in with an API key (`<key id>.<secret>`). The root key also names the tenant to act on
 * (sent as x-authing-userpool-id). The form is built here, never in the HTML, so without this
 * script there is no form that could put the key in a URL.
 */
export function renderSignIn(root, { onSignedIn, notice }) {
  const tokenError = h('p', { class: 'field-error', id: 'token-error', hidden: true });
  const tenantError = h('p', { class: 'field-error', id: 'tenant-error', hidden: true });
  const token = h('input', {
    id: 'token',
    name: 'token',
    type: 'password',
    autocomplete: 'off',
    spellcheck: 'false',
    required: true,
    'aria-describedby': 'token-help token-error',
  });
  const tenant = h('input', {
    id: 'tenant',
    name: 'tenant',
    type: 'text',
    autocomplete: 'off',
    spellcheck: 'false',
    'aria-describedby': 'tenant-help tenant-error',
  });
  const status = h('p', { class: 'outcome', role: 'status', id: 'signin-status' });
  if (notice) {
    status.textContent = notice;
    status.className = 'outcome fail';
  }
  const submit = h('button', { type: 'submit', class: 'primary' }, 'Sign in');

  const showError = (el, input, message) => {
    el.textContent = message;
    el.hidden = false;
    input.setAttribute('aria-invalid', 'true');
  };
  const reset = () => {
    for (const [el, input] of [
      [tokenError, token],
      [tenantError, tenant],
    ]) {
      el.hidden = true;
      el.textContent = '';
      input.removeAttribute('aria-invalid');
    }
    status.textContent = '';
    status.className = 'outcome';
  };

  const form = h(
    'form',
    {
      class: 'card signin',
      method: 'post',
      action: '/console',
      novalidate: true,
      'aria-labelledby': 'signin-title',
      onsubmit: (event) => {
        event.preventDefault();
        void signIn();
      },
    },
    h('h1', { id: 'signin-title' }, 'Sign in to the mailgate console'),
    h(
      'div',
      { class: 'field' },
      h('label', { for: 'token' }, 'API key'),
      token,
      h(
        'p',
        { class: 'help', id: 'token-help' },
        'Bearer token "<key id>.<secret>". Kept in this tab only and sent in the Authorization header.',
      ),
      tokenError,
    ),
    h(
      'div',
      { class: 'field' },
      h('label', { for: 'tenant' }, 'Tenant (root key only)'),
      tenant,
      h(
        'p',
        { class: 'help', id: 'tenant-help' },
        'The user pool id the root key acts on. Leave empty for a tenant key.',
      ),
      tenantError,
    ),
    h('div', { class: 'actions' }, submit),
    status,
  );

  async function signIn() {
    reset();
    const key = token.value.trim();
    const pool = tenant.value.trim();
    if (!/^[^.\s]+\.\S+$/.test(key)) {
      showError(tokenError, token, 'Enter an API key of the form <key id>.<secret>.');
      token.focus();
      return;
    }
    submit.disabled = true;
    status.textContent = 'Checking the key…';
    saveSession(key, pool);
    try {
      // Any answer but 401 (and a missing tenant) proves the key: a key without provider:read
      // may still read messages.
      await api('GET', '/api/v3/get-email-provider', undefined, { notifyUnauthenticated: false });
      onSignedIn();
      return;
    } catch (error) {
      if (!(error instanceof ApiError)) {
        throw error;
      }
      if (error.statusCode === 403 && !/another tenant/.test(error.message)) {
        onSignedIn();
        return;
      }
      clearSession();
      const tenantProblem = error.fieldErrors.find((e) => e.field === 'x-authing-userpool-id');
      if (tenantProblem !== undefined) {
        showError(tenantError, tenant, tenantProblem.messages.join(' '));
        tenant.focus();
      } else if (error.statusCode === 401) {
        showError(tokenError, token, `The gateway refused this key: ${error.message}.`);
        token.focus();
      } else if (error.statusCode === 403) {
        showError(tenantError, tenant, error.message);
        tenant.focus();
      } else {
        status.textContent = `Sign-in failed: ${error.detail}`;
        status.className = 'outcome fail';
      }
    } finally {
      submit.disabled = false;
    }
  }

  root.replaceChildren(form);
  token.focus();
}
