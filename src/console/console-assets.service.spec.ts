import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { SECRET_MASK } from '../provider-config/provider-config.constants';
import {
  ConsoleAssetsService,
  consoleRuntimeConfig,
  findConsoleDir,
  type ConsoleRuntimeConfig,
} from './console-assets.service';
import { acceptsGzip, matchesEtag } from './console-http';

const config: ConsoleRuntimeConfig = {
  secretMask: '****',
  presets: {
    ali: { host: 'ali.test', port: 465, secure: true },
    qq: { host: 'qq.test', port: 465, secure: true },
  },
  templates: consoleRuntimeConfig().templates,
};

describe('ConsoleAssetsService', () => {
  let dir: string;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'mailgate-console-'));
    writeFileSync(
      join(dir, 'index.html'),
      '<meta name="mailgate:config" content="%CONFIG%"><script type="module" src="/console/assets/%BUILD%/app.js"></script>',
    );
    writeFileSync(join(dir, 'app.js'), `export const big = '${'x'.repeat(2000)}';\n`);
    writeFileSync(join(dir, 'console.css'), 'body { margin: 0 }\n');
    writeFileSync(join(dir, 'icon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
    writeFileSync(join(dir, '.env'), 'SECRET=1');
    writeFileSync(join(dir, 'notes.txt'), 'not served');
    writeFileSync(join(dir, 'build.ts'), 'not served');
    mkdirSync(join(dir, 'sub.js'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('serves only the folder’s own .js, .css and .svg files and the vendored ones, with their content types', () => {
    const assets = new ConsoleAssetsService(dir, config);
    expect(assets.assetNames().sort()).toEqual([
      'app.js',
      'console.css',
      'icon.svg',
      'uplot.css',
      'uplot.js',
    ]);
    // The chart library comes from the installed package, byte for byte.
    expect(assets.asset(assets.build, 'uplot.js')?.body).toEqual(
      readFileSync(require.resolve('uplot/dist/uPlot.esm.js')),
    );
    expect(assets.asset(assets.build, 'app.js')?.contentType).toBe(
      'text/javascript; charset=utf-8',
    );
    expect(assets.asset(assets.build, 'console.css')?.contentType).toBe('text/css; charset=utf-8');
    expect(assets.asset(assets.build, 'icon.svg')?.contentType).toBe('image/svg+xml');
  });

  it.each([
    '../app.js',
    '..%2fapp.js',
    '.env',
    'notes.txt',
    'index.html',
    'sub.js',
    'app.js/',
    '',
    'APP.JS',
  ])('answers nothing for %j', (name) => {
    const assets = new ConsoleAssetsService(dir, config);
    expect(assets.asset(assets.build, name)).toBeUndefined();
  });

  it('answers nothing for another build', () => {
    const assets = new ConsoleAssetsService(dir, config);
    expect(assets.asset('0000000000000000', 'app.js')).toBeUndefined();
  });

  it('names the build by the content, so a changed file gets new URLs', () => {
    const first = new ConsoleAssetsService(dir, config).build;
    expect(new ConsoleAssetsService(dir, config).build).toBe(first);
    writeFileSync(join(dir, 'console.css'), 'body { margin: 1px }\n');
    expect(new ConsoleAssetsService(dir, config).build).not.toBe(first);
    expect(first).toMatch(/^[0-9a-f]{16}$/);
  });

  it('fills index.html with the build and the attribute-escaped runtime config', () => {
    const assets = new ConsoleAssetsService(dir, {
      ...config,
      secretMask: '"><script>',
    });
    const html = assets.indexFile().body.toString('utf8');
    expect(html).toContain(`src="${assets.assetUrl('app.js')}"`);
    expect(html).not.toContain('%BUILD%');
    expect(html).not.toContain('<script>"');
    expect(html).toContain('&quot;secretMask&quot;:&quot;\\&quot;&gt;&lt;script&gt;&quot;');
    expect(assets.indexFile().cacheControl).toBe('no-cache');
    expect(assets.asset(assets.build, 'app.js')?.cacheControl).toBe(
      'public, max-age=31536000, immutable',
    );
  });

  it('keeps a gzip copy of larger files only', () => {
    const assets = new ConsoleAssetsService(dir, config);
    const app = assets.asset(assets.build, 'app.js')!;
    expect(app.gzip).not.toBeNull();
    expect(gunzipSync(app.gzip!).equals(app.body)).toBe(true);
    expect(assets.asset(assets.build, 'console.css')!.gzip).toBeNull();
  });

  it('finds the repository’s console folder and every file index.html links', () => {
    const assets = new ConsoleAssetsService(findConsoleDir(), consoleRuntimeConfig());
    const html = assets.indexFile().body.toString('utf8');
    const linked = [...html.matchAll(/\/console\/assets\/([0-9a-f]{16})\/([\w.-]+)/g)];
    expect(linked.length).toBeGreaterThan(3);
    for (const [, build, name] of linked) {
      expect(build).toBe(assets.build);
      expect(assets.asset(build, name)).toBeDefined();
    }
    expect(html).toContain(`&quot;secretMask&quot;:&quot;${SECRET_MASK}&quot;`);
    expect(html).toContain('smtp.qiye.aliyun.com');
    expect(html).toContain('smtp.exmail.qq.com');
  });
});

describe('console HTTP helpers', () => {
  it.each([
    [undefined, false],
    ['"abc"', true],
    ['W/"abc"', true],
    ['"x", "abc"', true],
    ['*', true],
    ['"abcd"', false],
  ])('If-None-Match %j matches "abc": %s', (header, expected) => {
    expect(matchesEtag(header, '"abc"')).toBe(expected);
  });

  it.each([
    [undefined, false],
    ['gzip', true],
    ['gzip, deflate, br', true],
    ['br;q=1.0, gzip;q=0.8', true],
    ['gzip;q=0', false],
    ['gzip;q=0.0, br', false],
    ['identity', false],
    ['x-gzip', false],
  ])('Accept-Encoding %j allows gzip: %s', (header, expected) => {
    expect(acceptsGzip(header)).toBe(expected);
  });
});
