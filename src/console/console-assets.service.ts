import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, extname, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { SECRET_MASK } from '../provider-config/provider-config.constants';
import { EMAIL_TEMPLATE_TYPES, TEMPLATE_LOCALES } from '../templates/email-template-type.enum';
import {
  SAMPLE_DATA,
  TEMPLATE_CATEGORIES,
  TEMPLATE_TYPE_CATEGORY,
  TEMPLATE_VARIABLES,
} from '../templates/templates.constants';
import { DEFAULT_SMTP_PRESETS } from '../transports/smtp-presets';
import {
  ASSET_CACHE_CONTROL,
  ASSET_NAME_RE,
  BUILD_PLACEHOLDER,
  CONFIG_PLACEHOLDER,
  CONSOLE_CONTENT_TYPES,
  CONSOLE_PREFIX,
  CONSOLE_VENDOR_ASSETS,
  INDEX_CACHE_CONTROL,
} from './console.constants';

/** One file ready to send: bytes, their gzip, and the headers that describe them. */
export interface ConsoleFile {
  body: Buffer;
  gzip: Buffer | null;
  contentType: string;
  etag: string;
  cacheControl: string;
}

/** Values the console needs from the server, so they are written down once (here, from the source). */
export interface ConsoleRuntimeConfig {
  secretMask: string;
  presets: Record<'ali' | 'qq', { host: string; port: number; secure: boolean }>;
  /** The templates page: each type's category and variables, and the preview's sample values. */
  templates: {
    locales: string[];
    categories: string[];
    types: Record<string, { category: string; variables: string[] }>;
    sampleData: Record<string, string | number>;
  };
}

export function consoleRuntimeConfig(): ConsoleRuntimeConfig {
  const preset = (p: { host: string; port: number; secure: boolean }) => ({
    host: p.host,
    port: p.port,
    secure: p.secure,
  });
  return {
    secretMask: SECRET_MASK,
    presets: { ali: preset(DEFAULT_SMTP_PRESETS.ali), qq: preset(DEFAULT_SMTP_PRESETS.qq) },
    templates: {
      locales: [...TEMPLATE_LOCALES],
      categories: TEMPLATE_CATEGORIES.map((c) => c.titleEn),
      types: Object.fromEntries(
        EMAIL_TEMPLATE_TYPES.map((type) => [
          type,
          {
            category: TEMPLATE_CATEGORIES[TEMPLATE_TYPE_CATEGORY[type]].titleEn,
            variables: [...TEMPLATE_VARIABLES[type]],
          },
        ]),
      ),
      sampleData: { ...SAMPLE_DATA },
    },
  };
}

function escapeAttribute(value: string): string {
  return value
    .replace(/&/g, '&amp;')
    .replace(/"/g, '&quot;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;');
}

function etagOf(body: Buffer): string {
  return `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`;
}

/** Gzip pays off only past a few hundred bytes. */
function gzipOf(body: Buffer): Buffer | null {
  if (body.length < 512) {
    return null;
  }
  const zipped = gzipSync(body, { level: 9 });
  return zipped.length < body.length ? zipped : null;
}

/** The repository's `console/` folder, found upward from this file (src/console or dist/src/console). */
export function findConsoleDir(from: string = __dirname): string {
  let dir = from;
  for (;;) {
    const candidate = join(dir, 'console');
    if (existsSync(join(candidate, 'index.html'))) {
      return candidate;
    }
    const parent = dirname(dir);
    if (parent === dir) {
      throw new Error(`console/index.html not found above ${from}`);
    }
    dir = parent;
  }
}

/**
 * The console's files, read once at startup into memory: a request can only name a file of this
 * table, so no path ever reaches the disk. Assets are served under a hash of the whole build
 * (`/console/assets/<build>/app.js`), which lets browsers keep them for a year while relative
 * module imports keep working; index.html names the current build and is revalidated (ETag).
 * Built by ConsoleModule's factory (its constructor takes plain values, not providers).
 */
export class ConsoleAssetsService {
  readonly build: string;
  private readonly index: ConsoleFile;
  private readonly assets = new Map<string, ConsoleFile>();

  constructor(
    dir: string = findConsoleDir(),
    config: ConsoleRuntimeConfig = consoleRuntimeConfig(),
  ) {
    const names = readdirSync(dir)
      .filter(
        (name) => ASSET_NAME_RE.test(name) && CONSOLE_CONTENT_TYPES[extname(name)] !== undefined,
      )
      .filter((name) => statSync(join(dir, name)).isFile())
      .sort();
    const files = new Map<string, string>(names.map((name) => [name, join(dir, name)]));
    for (const [name, request] of Object.entries(CONSOLE_VENDOR_ASSETS)) {
      files.set(name, require.resolve(request));
    }
    const hash = createHash('sha256');
    const bodies = new Map<string, Buffer>();
    for (const [name, path] of [...files].sort(([a], [b]) => a.localeCompare(b))) {
      const body = readFileSync(path);
      bodies.set(name, body);
      hash.update(name).update('\0').update(body).update('\0');
    }
    const template = readFileSync(join(dir, 'index.html'), 'utf8');
    hash.update(template).update(JSON.stringify(config));
    this.build = hash.digest('hex').slice(0, 16);
    for (const [name, body] of bodies) {
      this.assets.set(name, {
        body,
        gzip: gzipOf(body),
        contentType: CONSOLE_CONTENT_TYPES[extname(name)],
        etag: etagOf(body),
        cacheControl: ASSET_CACHE_CONTROL,
      });
    }
    const html = Buffer.from(
      template
        .split(BUILD_PLACEHOLDER)
        .join(this.build)
        .split(CONFIG_PLACEHOLDER)
        .join(escapeAttribute(JSON.stringify(config))),
      'utf8',
    );
    this.index = {
      body: html,
      gzip: gzipOf(html),
      contentType: 'text/html; charset=utf-8',
      etag: etagOf(html),
      cacheControl: INDEX_CACHE_CONTROL,
    };
  }

  /** URL of an asset of the current build. */
  assetUrl(name: string): string {
    return `${CONSOLE_PREFIX}/assets/${this.build}/${name}`;
  }

  indexFile(): ConsoleFile {
    return this.index;
  }

  /** The asset, or undefined for another build, an unknown name or anything path-like. */
  asset(build: string, name: string): ConsoleFile | undefined {
    if (build !== this.build || !ASSET_NAME_RE.test(name)) {
      return undefined;
    }
    return this.assets.get(name);
  }

  assetNames(): string[] {
    return [...this.assets.keys()];
  }
}
