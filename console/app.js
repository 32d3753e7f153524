import { clearSession, loadSession, onUnauthenticated } from './api.js';
import { focusHeading } from './dom.js';
import { renderMessage, renderMessages } from './messages.js';
import { renderOverview, switchTenant } from './overview.js';
import { renderProvider } from './provider.js';
import { renderSignIn } from './signin.js';
import { renderSuppressions } from './suppressions.js';
import { renderTemplate, renderTemplates } from './templates.js';
import { renderWebhook, renderWebhooks } from './webhooks.js';

// Hash routes keep the page one document: #/provider, #/messages?status=failed, #/messages/<id>,
// #/templates, #/templates/<TYPE>?locale=en, #/suppressions?email=<text>, #/webhooks,
// #/webhooks/<endpoint id>.
// Nothing secret ever goes in the hash.

const main = document.getElementById('main');
const topbar = document.getElementById('topbar');
const tenantLabel = document.getElementById('session-tenant');
const tenantSwitch = document.getElementById('tenant-switch');
const tenantInput = document.getElementById('tenant-switch-input');
let pageController = null;

function parseRoute() {
  const hash = location.hash.startsWith('#/') ? location.hash.slice(2) : 'overview';
  const [path, query = ''] = hash.split('?');
  const parts = path.split('/').filter((p) => p !== '');
  return { parts, params: new URLSearchParams(query) };
}

function showSignIn(notice) {
  topbar.hidden = true;
  pageController?.abort();
  pageController = null;
  document.title = 'Sign in · mailgate console';
  renderSignIn(main, {
    notice,
    onSignedIn: () => {
      if (!location.hash.startsWith('#/')) {
        location.hash = '#/overview';
      }
      route();
    },
  });
}

function route() {
  const session = loadSession();
  if (session === null) {
    showSignIn();
    return;
  }
  topbar.hidden = false;
  tenantLabel.textContent = session.tenant === '' ? '' : `Tenant ${session.tenant}`;
  // The root key acts on one tenant at a time; it may switch without signing out.
  tenantSwitch.hidden = session.tenant === '';
  tenantInput.value = session.tenant;
  pageController?.abort();
  pageController = new AbortController();
  const { signal } = pageController;
  const { parts, params } = parseRoute();
  const section = parts[0] ?? 'overview';
  for (const link of topbar.querySelectorAll('[data-nav]')) {
    if (link.dataset.nav === section) {
      link.setAttribute('aria-current', 'page');
    } else {
      link.removeAttribute('aria-current');
    }
  }
  if (section === 'overview') {
    document.title = 'Overview · mailgate console';
    renderOverview(main, {
      window: params.get('window') ?? '1h',
      signal,
      onTenantSwitch: (tenant) => {
        switchTenant(tenant);
        route();
      },
    });
  } else if (section === 'templates' && parts[1] !== undefined) {
    document.title = 'Template · mailgate console';
    renderTemplate(main, { type: decodeURIComponent(parts[1]), params, signal });
  } else if (section === 'templates') {
    document.title = 'Templates · mailgate console';
    renderTemplates(main, { params, signal });
  } else if (section === 'messages' && parts[1] !== undefined) {
    document.title = 'Message · mailgate console';
    renderMessage(main, { id: decodeURIComponent(parts[1]), signal });
  } else if (section === 'webhooks' && parts[1] !== undefined) {
    document.title = 'Webhook deliveries · mailgate console';
    renderWebhook(main, { id: decodeURIComponent(parts[1]), signal });
  } else if (section === 'webhooks') {
    document.title = 'Webhooks · mailgate console';
    renderWebhooks(main, { signal });
  } else if (section === 'messages') {
    document.title = 'Messages · mailgate console';
    renderMessages(main, { status: params.get('status') ?? '', signal });
  } else if (section === 'suppressions') {
    document.title = 'Suppressions · mailgate console';
    renderSuppressions(main, { email: params.get('email') ?? '', signal });
  } else {
    document.title = 'Email provider · mailgate console';
    renderProvider(main, { signal });
  }
  // Each page draws its heading at once and loads its data after.
  focusHeading(main);
}

onUnauthenticated((error) => {
  clearSession();
  showSignIn(`Signed out: ${error.message}.`);
});

document.getElementById('sign-out').addEventListener('click', () => {
  clearSession();
  history.replaceState(null, '', '#/overview');
  showSignIn('Signed out.');
});

tenantSwitch.addEventListener('submit', (event) => {
  event.preventDefault();
  const tenant = tenantInput.value.trim();
  if (tenant !== '') {
    switchTenant(tenant);
    route();
  }
});

window.addEventListener('hashchange', route);
route();
