/** URL prefix of the admin console (listed in UNWRAPPED_PREFIXES: its answers are not enveloped). */
export const CONSOLE_PREFIX = '/console';

/** Placeholders of console/index.html, filled once at startup. */
export const BUILD_PLACEHOLDER = '%BUILD%';
export const CONFIG_PLACEHOLDER = '%CONFIG%';

/** Only these files of console/ are served, each with its content type; everything else is 404. */
export const CONSOLE_CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
};

/**
 * Third-party files the console loads, served from the installed package as if they were in
 * console/ (no CDN; pinned by package-lock.json): uPlot draws the overview's charts.
 */
export const CONSOLE_VENDOR_ASSETS: Readonly<Record<string, string>> = {
  'uplot.js': 'uplot/dist/uPlot.esm.js',
  'uplot.css': 'uplot/dist/uPlot.min.css',
};

/** A plain file name: no separators, no leading dot, so no way out of the folder. */
export const ASSET_NAME_RE = /^[A-Za-z0-9][A-Za-z0-9_-]*(?:\.[A-Za-z0-9]+)+$/;

/**
 * Scripts and styles only from the gateway (no inline code, no CDN). The message preview is a
 * `srcdoc` iframe with `sandbox=""`: it inherits this policy, so it runs no script and loads
 * nothing from outside (no tracking pixels); no other frame may be loaded.
 */
export const CONSOLE_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "frame-src 'none'",
  "child-src 'none'",
  "worker-src 'none'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/** Sent with every console answer. */
export const CONSOLE_SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': CONSOLE_CSP,
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
};

/** index.html is revalidated on every load (ETag), so a new build is picked up at once. */
export const INDEX_CACHE_CONTROL = 'no-cache';
/** Assets live under their build hash and never change there. */
export const ASSET_CACHE_CONTROL = 'public, max-age=31536000, immutable';
