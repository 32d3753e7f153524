import { api, loadSession, saveSession } from './api.js';
import { h, time } from './dom.js';
import uPlot from './uplot.js';

// Overview: is mail flowing, and if not, why. Outcome charts (uPlot, served by the gateway), the
// queue, accept-to-sent latency, the provider's circuit and last verify, the top errors of the
// last hour; for the root key also every tenant, trouble first. Refreshes every 10 s.

const REFRESH_MS = 10_000;
/** The API counts the queue up to this many (src/stats/stats.constants.ts). */
const QUEUE_CAP = 10_000;
const OUTCOMES = [
  { key: 'sent', label: 'Sent', stroke: '#1a7f37', fill: 'rgba(26,127,55,0.15)' },
  { key: 'deferred', label: 'Deferred', stroke: '#9a6700', fill: 'rgba(154,103,0,0.15)' },
  { key: 'failed', label: 'Failed', stroke: '#cf222e', fill: 'rgba(207,34,46,0.15)' },
  { key: 'bounced', label: 'Bounced', stroke: '#8250df', fill: 'rgba(130,80,223,0.15)' },
];

/** `95 s`, `12 min`, `3 h`: an age at a glance. */
function age(seconds) {
  if (seconds === null || seconds === undefined) {
    return '—';
  }
  if (seconds < 120) {
    return `${seconds} s`;
  }
  if (seconds < 2 * 3600) {
    return `${Math.round(seconds / 60)} min`;
  }
  return `${Math.round(seconds / 3600)} h`;
}

function ms(value) {
  return value === null || value === undefined ? '—' : `${value} ms`;
}

/** The root key's session is the one that names a tenant itself (sign-in asks it). */
function isRootSession() {
  return (loadSession()?.tenant ?? '') !== '';
}

function tile(id, label, value, detail) {
  return h(
    'div',
    { class: 'tile', id },
    h('span', { class: 'tile-label' }, label),
    h('span', { class: 'tile-value', dataset: { testid: `${id}-value` } }, value),
    detail === undefined ? null : h('span', { class: 'help' }, detail),
  );
}

function circuitBadge(health) {
  // No circuit state reported (no breaker data yet): show none rather than a guessed "closed".
  if (health === null || health === undefined) {
    return null;
  }
  const state = health.state;
  return h(
    'span',
    { class: `badge circuit-${state}`, id: 'circuit-state' },
    state === 'half_open' ? 'half open' : state,
  );
}

function providerTile(provider) {
  if (provider === null) {
    return tile('provider', 'Provider', 'built-in mailer', 'No provider saved.');
  }
  const verify =
    provider.lastVerifyError !== null && provider.lastVerifyError !== undefined
      ? [
          h('span', { class: 'badge badge-auth' }, 'verify failed'),
          ` ${provider.lastVerifyError.code}`,
        ]
      : provider.lastVerifiedAt !== null
        ? ['verified ', time(provider.lastVerifiedAt)]
        : 'never verified';
  return h(
    'div',
    { class: 'tile', id: 'provider' },
    h('span', { class: 'tile-label' }, 'Provider'),
    h(
      'span',
      { class: 'tile-value' },
      h('a', { href: '#/provider' }, provider.enabled ? provider.type : `${provider.type} (off)`),
      ' ',
      provider.enabled ? circuitBadge(provider.health) : null,
    ),
    h('span', { class: 'help', id: 'provider-verify' }, verify),
  );
}

/** One outcome over the window as a small uPlot chart; its total as the heading. */
function chart(container, outcome, stats) {
  const xs = stats.series.map((b) => Date.parse(b.at) / 1000);
  const ys = stats.series.map((b) => b[outcome.key]);
  const figure = h('figure', { class: 'chart', id: `chart-${outcome.key}` });
  const total = stats.totals[outcome.key];
  figure.append(
    h(
      'figcaption',
      {},
      `${outcome.label} `,
      h('strong', { dataset: { testid: `total-${outcome.key}` } }, String(total)),
      h('span', { class: 'help' }, stats.window === '1h' ? ' per minute' : ' per hour'),
    ),
  );
  container.append(figure);
  // Sized to its grid cell (less the figure's padding).
  const width = Math.max(200, figure.clientWidth - 20);
  const plot = new uPlot(
    {
      width,
      height: 140,
      legend: { show: false },
      cursor: { y: false },
      scales: { y: { range: (_u, _min, max) => [0, Math.max(1, max)] } },
      axes: [{ grid: { show: false } }, { size: 40, grid: { stroke: '#eaeef2' } }],
      series: [
        {},
        {
          label: outcome.label,
          stroke: outcome.stroke,
          fill: outcome.fill,
          width: 1,
          // Counts per bucket as bars: one event in one minute is visible at a glance.
          paths: uPlot.paths.bars({ size: [0.8, 24] }),
          points: { show: false },
        },
      ],
    },
    [xs, ys],
    figure,
  );
  // For tests and screen readers: what the chart drew, in words.
  figure.dataset.points = String(ys.length);
  figure.setAttribute(
    'aria-label',
    `${outcome.label}: ${total} in the last ${stats.window}, peak ${Math.max(0, ...ys)}`,
  );
  return plot;
}

function errorsTable(topErrors) {
  if (topErrors.length === 0) {
    return h('p', { class: 'help', id: 'top-errors-empty' }, 'No errors in the last hour.');
  }
  return h(
    'div',
    { class: 'table-wrap' },
    h(
      'table',
      { id: 'top-errors' },
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          h('th', {}, 'Code'),
          h('th', {}, 'Class'),
          h('th', {}, 'Count'),
          h('th', {}, 'Example'),
        ),
      ),
      h(
        'tbody',
        {},
        topErrors.map((e) =>
          h(
            'tr',
            {},
            h('td', {}, e.code),
            h('td', {}, e.errorClass ?? '—'),
            h('td', {}, String(e.count)),
            h(
              'td',
              {},
              h('a', { href: `#/messages/${encodeURIComponent(e.exampleMessageId)}` }, 'a message'),
            ),
          ),
        ),
      ),
    ),
  );
}

function tenantsTable(rows, onSwitch) {
  const current = loadSession()?.tenant ?? '';
  return h(
    'section',
    { class: 'card', id: 'all-tenants' },
    h('h2', {}, 'All tenants'),
    h(
      'p',
      { class: 'help' },
      'Trouble first: open circuits, failures and bounces of the last hour, then the oldest backlog.',
    ),
    h(
      'div',
      { class: 'table-wrap' },
      h(
        'table',
        {},
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            ['Tenant', 'Circuit', 'Queued', 'Oldest', 'Sent 1h', 'Failed 1h', 'Bounced 1h'].map(
              (label) => h('th', {}, label),
            ),
          ),
        ),
        h(
          'tbody',
          {},
          rows.map((row) =>
            h(
              'tr',
              { dataset: { tenant: row.tenantId } },
              h(
                'td',
                {},
                row.tenantId === current
                  ? h('strong', {}, row.tenantId)
                  : h(
                      'button',
                      {
                        type: 'button',
                        class: 'link-button',
                        onclick: () => onSwitch(row.tenantId),
                      },
                      row.tenantId,
                    ),
              ),
              h(
                'td',
                {},
                row.circuit === null || row.circuit === undefined
                  ? '—'
                  : h(
                      'span',
                      { class: `badge circuit-${row.circuit}` },
                      row.circuit === 'half_open' ? 'half open' : row.circuit,
                    ),
              ),
              h('td', {}, String(row.queued)),
              h('td', {}, age(row.oldestQueuedAgeSeconds)),
              h('td', {}, String(row.sentLastHour)),
              h('td', { class: row.failedLastHour > 0 ? 'bad' : '' }, String(row.failedLastHour)),
              h('td', { class: row.bouncedLastHour > 0 ? 'bad' : '' }, String(row.bouncedLastHour)),
            ),
          ),
        ),
      ),
    ),
  );
}

export function renderOverview(root, { window: requested, signal, onTenantSwitch }) {
  const window = requested === '24h' ? '24h' : '1h';
  const status = h('p', { class: 'help', id: 'overview-status', role: 'status' });
  const body = h('div', { id: 'overview-body' });
  const windowNav = h(
    'p',
    { class: 'toolbar' },
    ['1h', '24h'].map((w) =>
      h(
        'a',
        {
          href: `#/overview?window=${w}`,
          'aria-current': w === window ? 'page' : undefined,
          class: 'window-link',
        },
        w === '1h' ? 'Last hour' : 'Last 24 hours',
      ),
    ),
  );
  root.replaceChildren(
    h('h1', {}, 'Overview'),
    h('p', { class: 'lead' }, 'Is mail flowing, and if not, why.'),
    windowNav,
    status,
    body,
  );
  let plots = [];

  function draw(stats, tenants) {
    for (const plot of plots) {
      plot.destroy();
    }
    const charts = h('div', { class: 'charts' });
    const view = [
      h(
        'div',
        { class: 'tiles' },
        tile(
          'queue',
          'Queued',
          stats.queue.queued >= QUEUE_CAP ? `${QUEUE_CAP}+` : String(stats.queue.queued),
          `oldest ${age(stats.queue.oldestQueuedAgeSeconds)} · sending ${stats.queue.sending}`,
        ),
        tile(
          'latency',
          'Accept → sent',
          `p50 ${ms(stats.latency.p50Ms)}`,
          `p95 ${ms(stats.latency.p95Ms)} · ${stats.latency.samples} sends`,
        ),
        providerTile(stats.provider),
      ),
      charts,
      h(
        'section',
        { class: 'card' },
        h('h2', {}, 'Top errors, last hour'),
        errorsTable(stats.topErrors),
        h(
          'p',
          { class: 'help' },
          h('a', { href: '#/messages?status=failed' }, 'Failed messages'),
          ' · ',
          h('a', { href: '#/messages?status=bounced' }, 'Bounced messages'),
          ' · ',
          h('a', { href: '#/suppressions' }, 'Suppressed addresses'),
          ' · ',
          h('a', { href: '#/messages' }, 'All messages'),
          ' · ',
          // Events the gateway pushes to the tenant's services, and their delivery attempts.
          h('a', { href: '#/webhooks', id: 'overview-webhooks' }, 'Webhook deliveries'),
        ),
      ),
      tenants === null ? null : tenantsTable(tenants, onTenantSwitch),
    ];
    body.replaceChildren(...view.filter((v) => v !== null));
    plots = OUTCOMES.map((outcome) => chart(charts, outcome, stats));
  }

  async function refresh() {
    try {
      const [stats, tenants] = await Promise.all([
        api('GET', `/v1/stats?window=${window}`),
        isRootSession() ? api('GET', '/v1/stats/tenants').catch(() => null) : Promise.resolve(null),
      ]);
      if (signal.aborted) {
        return;
      }
      draw(stats, tenants);
      status.textContent = `Updated ${new Date().toLocaleTimeString()}; refreshes every 10 s.`;
    } catch (error) {
      if (!signal.aborted) {
        status.textContent = `Could not load the overview: ${error.detail ?? error.message}`;
      }
    }
  }

  void refresh();
  const timer = setInterval(() => void refresh(), REFRESH_MS);
  signal.addEventListener('abort', () => {
    clearInterval(timer);
    for (const plot of plots) {
      plot.destroy();
    }
  });
}

/** Root sessions act on one tenant at a time: switching keeps the key, changes the tenant. */
export function switchTenant(tenant) {
  const session = loadSession();
  if (session !== null) {
    saveSession(session.token, tenant);
  }
}
