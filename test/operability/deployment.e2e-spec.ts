import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { Deployment } from 'kubernetes-models/apps/v1';
import { Job } from 'kubernetes-models/batch/v1';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import { ConfigMap, Secret, Service } from 'kubernetes-models/v1';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parse, parseAllDocuments } from 'yaml';
import { ENV_VARIABLES, loadEnv } from '../../src/config/env';

/**
 * No Docker engine or cluster runs here: these specs hold the Dockerfile, docker-compose.yml and
 * deploy/k8s to the app itself — probe paths are routes, ports are the configured port, variable
 * names are ones loadEnv reads and their example values pass its production validation — and
 * every manifest to Kubernetes' own OpenAPI schemas (kubernetes-models). `npm run test:image`
 * builds and runs the image for real.
 */

const ROOT = resolve(__dirname, '..', '..');
const read = (path: string): string => readFileSync(join(ROOT, path), 'utf8');

/** Read outside loadEnv: LOG_LEVEL by the logger, NODE_EXTRA_CA_CERTS by Node itself. */
const READ_ELSEWHERE = ['LOG_LEVEL', 'NODE_EXTRA_CA_CERTS'];
const KNOWN_VARIABLES = new Set<string>([...ENV_VARIABLES, ...READ_ELSEWHERE]);

/** The app's GET routes, from the committed document (openapi.e2e-spec proves it lists them all). */
const ROUTES = new Set(
  Object.entries(
    (JSON.parse(read('openapi.json')) as { paths: Record<string, Record<string, unknown>> }).paths,
  )
    .filter(([, item]) => item.get !== undefined)
    .map(([path]) => path),
);

/** `main.ts` exits this long after SIGTERM whatever happens; the dispatcher drains for at most DRAIN_MS. */
function shutdownBoundsMs(): { hardStop: number; drain: number } {
  const main = /setTimeout\(\(\) => \{[^}]*process\.exit\(1\);\s*\},\s*([\d_]+)\)/.exec(
    read('src/main.ts'),
  );
  const drain = /const DRAIN_MS = ([\d_]+);/.exec(read('src/emails/dispatcher.service.ts'));
  if (main === null || drain === null) {
    throw new Error(
      'could not find the hard-stop timeout in main.ts or DRAIN_MS in the dispatcher',
    );
  }
  return {
    hardStop: Number(main[1].replace(/_/g, '')),
    drain: Number(drain[1].replace(/_/g, '')),
  };
}

/** Production validation of an environment, without touching the real process environment. */
function loadProductionEnv(values: Record<string, string>): ReturnType<typeof loadEnv> {
  return loadEnv({ MAILGATE_DATA_DIR: join(tmpdir(), 'mailgate-never-written'), ...values });
}

describe('ENV_VARIABLES', () => {
  it('is exactly the set of variables loadEnv reads', () => {
    const seen = new Set<string>();
    const values: Record<string, string | undefined> = {
      MAILGATE_SECRET_KEY: Buffer.alloc(32, 1).toString('base64'),
      MAILGATE_ROOT_KEY: 'root_test.rootsecret-for-tests-only-0123456789',
      MAILGATE_DATA_DIR: join(tmpdir(), 'mailgate-never-written'),
    };
    const env = new Proxy(values, {
      get: (target, name: string) => {
        seen.add(name);
        return target[name];
      },
    });
    loadEnv(env);
    loadEnv({
      ...env,
      NODE_ENV: 'production',
      BUILTIN_MAILER_URL: 'smtp://relay.example:25',
      DATABASE_URL: 'postgres://mailgate@db.example:5432/mailgate',
    });
    expect([...seen].sort()).toEqual([...ENV_VARIABLES].sort());
  });

  it('leaves LOG_LEVEL to the logger', () => {
    expect(read('src/common/logger.ts')).toContain('process.env.LOG_LEVEL');
  });
});

interface DockerInstruction {
  keyword: string;
  args: string;
}

/** Dockerfile instructions per stage, continuation lines joined, comments dropped. */
function dockerStages(text: string): { args: Map<string, string>; stages: DockerInstruction[][] } {
  const lines = text
    .replace(/\\\n\s*/g, ' ')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
  const args = new Map<string, string>();
  const stages: DockerInstruction[][] = [];
  for (const line of lines) {
    const match = /^(\w+)\s+(.*)$/.exec(line);
    if (match === null) {
      throw new Error(`unreadable Dockerfile line: ${line}`);
    }
    const instruction = { keyword: match[1].toUpperCase(), args: match[2] };
    if (instruction.keyword === 'FROM') {
      stages.push([instruction]);
    } else if (stages.length === 0 && instruction.keyword === 'ARG') {
      const [name, value] = instruction.args.split('=');
      args.set(name, value);
    } else {
      stages.at(-1)?.push(instruction);
    }
  }
  return { args, stages };
}

describe('Dockerfile', () => {
  const { args, stages } = dockerStages(read('Dockerfile'));
  const final = stages.at(-1) ?? [];
  const all = (stage: DockerInstruction[], keyword: string): string[] =>
    stage.filter((i) => i.keyword === keyword).map((i) => i.args);
  const image = (from: DockerInstruction): string =>
    from.args.split(/\s+/)[0].replace(/\$\{(\w+)\}/g, (_m, name: string) => args.get(name) ?? '');

  it('builds in stages: npm ci + npm run build, then production dependencies only', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    const runs = stages.flatMap((s) => all(s, 'RUN'));
    expect(runs).toEqual(expect.arrayContaining([expect.stringMatching(/^npm ci\b/)]));
    expect(runs).toContain('npm run build');
    expect(runs.some((r) => /npm ci\b.*--omit=dev/.test(r))).toBe(true);
    expect(JSON.parse(read('package.json')).scripts.build).toMatch(/tsconfig\.build\.json/);
  });

  it('runs on a Node LTS image that satisfies package.json engines', () => {
    const engines = (JSON.parse(read('package.json')) as { engines: { node: string } }).engines;
    const minimum = Number(/>=\s*(\d+)/.exec(engines.node)?.[1]);
    for (const stage of stages) {
      const match = /^node:(\d+)-/.exec(image(stage[0]));
      expect(match).not.toBeNull();
      const major = Number(match![1]);
      expect(major % 2).toBe(0); // even majors are the LTS lines
      expect(major).toBeGreaterThanOrEqual(Math.max(minimum, 22));
    }
  });

  it('runs production as the unprivileged node user, on the configured port, with a real health check', () => {
    expect(all(final, 'USER')).toEqual(['node']);
    const env = all(final, 'ENV').join(' ');
    expect(env).toMatch(/\bNODE_ENV=production\b/);
    const port = /\bPORT=(\d+)/.exec(env)?.[1];
    expect(all(final, 'EXPOSE')).toEqual([port]);
    expect(Number(port)).toBe(
      loadProductionEnv({
        MAILGATE_SECRET_KEY: Buffer.alloc(32, 1).toString('base64'),
        MAILGATE_ROOT_KEY: 'root_test.rootsecret-for-tests-only-0123456789',
      }).app.port,
    );
    const healthcheck = all(final, 'HEALTHCHECK').join(' ');
    const path = /127\.0\.0\.1:[^/]*(\/[\w/]+)/.exec(healthcheck)?.[1];
    expect(path).toBe('/health/live');
    expect(ROUTES).toContain(path);
    expect(healthcheck).not.toMatch(/\bcurl\b|\bwget\b/);
  });

  it('gives the node user one writable data path, the one MAILGATE_DATA_DIR names', () => {
    const env = all(final, 'ENV').join(' ');
    const dataDir = /\bMAILGATE_DATA_DIR=(\S+)/.exec(env)?.[1];
    expect(dataDir).toMatch(/^\/\w+/);
    const runs = all(final, 'RUN').join(' ');
    expect(runs).toContain(`chown node:node ${dataDir}`);
    // The app's own files stay root's: nothing in the final stage hands them to node.
    expect(all(final, 'COPY').some((c) => c.includes('--chown'))).toBe(false);
  });

  it('starts the compiled entry point, which the build produces', () => {
    expect(all(final, 'CMD')).toEqual(['["node", "dist/src/main.js"]']);
    const build = JSON.parse(read('tsconfig.build.json')) as { include: string[] };
    const base = JSON.parse(read('tsconfig.json')) as {
      compilerOptions: { outDir: string; rootDir: string };
    };
    expect(base.compilerOptions).toMatchObject({ outDir: './dist', rootDir: '.' });
    expect(build.include).toEqual(expect.arrayContaining(['src', 'migrations']));
    expect(existsSync(join(ROOT, 'src', 'main.ts'))).toBe(true);
  });

  it('copies only what exists, and the console the app serves', () => {
    const ignored = read('.dockerignore')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l !== '' && !l.startsWith('#'));
    const sources = stages
      .flatMap((s) => all(s, 'COPY'))
      .filter((c) => !c.startsWith('--from='))
      .flatMap((c) => c.split(/\s+/).slice(0, -1));
    expect(sources).toEqual(expect.arrayContaining(['console', 'src', 'migrations']));
    for (const source of sources) {
      expect({ source, exists: existsSync(join(ROOT, source)) }).toEqual({ source, exists: true });
      expect(ignored).not.toContain(source);
    }
    expect(existsSync(join(ROOT, 'console', 'index.html'))).toBe(true);
    expect(ignored).toEqual(
      expect.arrayContaining([
        'node_modules',
        '.git',
        '.env',
        '.data',
        'dist',
        '.test-build',
        'test',
        'bench',
        'src/**/*.spec.ts',
      ]),
    );
  });
});

interface ComposeService {
  image?: string;
  build?: unknown;
  environment?: Record<string, string>;
  ports?: string[];
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: string[] };
  stop_grace_period?: string;
}

describe('docker-compose.yml', () => {
  const compose = parse(read('docker-compose.yml')) as { services: Record<string, ComposeService> };
  const { postgres, mailpit, mailgate } = compose.services;

  it('runs PostgreSQL 16/17, Mailpit and the gateway built from the Dockerfile', () => {
    expect(postgres.image).toMatch(/^postgres:(16|17)\b/);
    expect(mailpit.image).toMatch(/^axllent\/mailpit:/);
    expect(mailpit.ports).toContain('8025:8025');
    expect(mailgate.build).toBe('.');
    for (const service of [postgres, mailpit, mailgate]) {
      expect(service.healthcheck?.test.length).toBeGreaterThan(0);
    }
    expect(mailgate.depends_on).toEqual({
      postgres: { condition: 'service_healthy' },
      mailpit: { condition: 'service_healthy' },
    });
  });

  it("sets only variables the app reads, with values production's validation accepts", () => {
    const env = mailgate.environment ?? {};
    for (const name of Object.keys(env)) {
      expect(KNOWN_VARIABLES).toContain(name);
    }
    const parsed = loadProductionEnv(env);
    expect(parsed.app.production).toBe(true);
    expect(parsed.database.migrateOnStart).toBe(true);
    expect(parsed.app.rootKey).toBeDefined();
  });

  it('points the gateway at the postgres and mailpit services', () => {
    const env = mailgate.environment ?? {};
    const db = new URL(env.DATABASE_URL);
    expect(db.hostname).toBe('postgres');
    expect(decodeURIComponent(db.username)).toBe(postgres.environment?.POSTGRES_USER);
    expect(decodeURIComponent(db.password)).toBe(postgres.environment?.POSTGRES_PASSWORD);
    expect(db.pathname).toBe(`/${postgres.environment?.POSTGRES_DB}`);
    expect(env.BUILTIN_MAILER_URL).toBe('smtp://mailpit:1025');
  });

  it('publishes the configured port and checks a real route', () => {
    const port = mailgate.environment?.PORT;
    expect(mailgate.ports).toContain(`${port}:${port}`);
    const test = (mailgate.healthcheck?.test ?? []).join(' ');
    const url = /(http:\/\/127\.0\.0\.1:(\d+)(\/[\w/]+))/.exec(test);
    expect(url?.[2]).toBe(port);
    expect(ROUTES).toContain(url?.[3]);
  });

  it('gives the gateway longer to stop than main.ts takes at most', () => {
    const grace = Number(/^(\d+)s$/.exec(mailgate.stop_grace_period ?? '')?.[1]);
    expect(grace * 1000).toBeGreaterThan(shutdownBoundsMs().hardStop);
  });
});

interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Record<string, string> };
  [key: string]: unknown;
}

interface Probe {
  httpGet: { path: string; port: string | number };
}

/** kubernetes-models classes by apiVersion/kind: each validates against Kubernetes' OpenAPI schema. */
const MODELS: Record<string, new (data: any) => { validate(): void }> = {
  'v1/ConfigMap': ConfigMap,
  'v1/Secret': Secret,
  'v1/Service': Service,
  'apps/v1/Deployment': Deployment,
  'batch/v1/Job': Job,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
};

/** A Kubernetes quantity (`100m`, `192Mi`, `1`) as a number of base units, for comparisons. */
function quantity(value: string): number {
  const match = /^(\d+(?:\.\d+)?)(m|k|M|G|Ki|Mi|Gi)?$/.exec(value);
  if (match === null) {
    throw new Error(`unsupported quantity ${value}`);
  }
  const factor: Record<string, number> = {
    m: 1e-3,
    k: 1e3,
    M: 1e6,
    G: 1e9,
    Ki: 1024,
    Mi: 1024 ** 2,
    Gi: 1024 ** 3,
  };
  return Number(match[1]) * (match[2] === undefined ? 1 : factor[match[2]]);
}

interface Container {
  name: string;
  image: string;
  command?: string[];
  ports?: Array<{ name: string; containerPort: number }>;
  envFrom?: Array<{ configMapRef?: { name: string }; secretRef?: { name: string } }>;
  env?: Array<{ name: string }>;
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  startupProbe?: Probe;
  livenessProbe?: Probe;
  readinessProbe?: Probe;
  lifecycle?: { preStop?: { exec?: { command: string[] } } };
  securityContext?: Record<string, unknown>;
  volumeMounts?: Array<{ name: string; mountPath: string }>;
}

interface PodSpec {
  terminationGracePeriodSeconds?: number;
  restartPolicy?: string;
  securityContext?: Record<string, unknown>;
  containers: Container[];
  volumes?: Array<{ name: string; emptyDir?: object }>;
}

interface PodTemplate {
  metadata: { labels: Record<string, string>; annotations?: Record<string, string> };
  spec: PodSpec;
}

describe('deploy/k8s', () => {
  const files = readdirSync(join(ROOT, 'deploy', 'k8s')).filter((f) => /\.ya?ml$/.test(f));
  const sources = files.flatMap((file) =>
    parseAllDocuments(read(join('deploy', 'k8s', file)))
      .map((d) => ({ file, object: d.toJS() as K8sObject | null }))
      .filter((o): o is { file: string; object: K8sObject } => o.object !== null),
  );
  const objects = sources.map((s) => s.object);
  const one = <T>(kind: string): K8sObject & T => {
    const found = objects.filter((o) => o.kind === kind);
    expect(found.map((o) => o.kind)).toEqual([kind]);
    return found[0] as K8sObject & T;
  };
  const deployment = one<{ spec: { replicas: number; template: PodTemplate } }>('Deployment');
  const job = one<{ spec: { template: PodTemplate } }>('Job');
  const service = one<{
    spec: { selector: Record<string, string>; ports: Array<{ targetPort: string | number }> };
  }>('Service');
  const pdb = one<{
    spec: { minAvailable: number; selector: { matchLabels: Record<string, string> } };
  }>('PodDisruptionBudget');
  const configMap = one<{ data: Record<string, unknown> }>('ConfigMap');
  const secret = one<{ stringData: Record<string, unknown> }>('Secret');
  const pod = deployment.spec.template;
  const container = pod.spec.containers[0];
  const portNames = new Map((container.ports ?? []).map((p) => [p.name, p.containerPort]));
  const matches = (selector: Record<string, string>, labels: Record<string, string>): boolean =>
    Object.entries(selector).every(([k, v]) => labels[k] === v);

  it("validates every object against Kubernetes' OpenAPI schemas (kubernetes-models)", () => {
    expect(files.length).toBeGreaterThanOrEqual(6);
    for (const { file, object } of sources) {
      const Model = MODELS[`${object.apiVersion}/${object.kind}`];
      expect({
        file,
        kind: `${object.apiVersion}/${object.kind}`,
        known: Model !== undefined,
      }).toEqual({ file, kind: `${object.apiVersion}/${object.kind}`, known: true });
      let error = '';
      try {
        new Model(object).validate();
      } catch (e) {
        error = String(e);
      }
      expect({ file, name: object.metadata.name, error }).toEqual({
        file,
        name: object.metadata.name,
        error: '',
      });
    }
  });

  it('has a schema check that can fail: a string containerPort or a bad quantity is refused', () => {
    const broken = structuredClone(deployment) as any;
    broken.spec.template.spec.containers[0].ports[0].containerPort = 'http';
    expect(() => new Deployment(broken).validate()).toThrow(/containerPort must be integer/);
    const badQuantity = structuredClone(deployment) as any;
    badQuantity.spec.template.spec.containers[0].resources.limits.memory = '512 MB';
    expect(() => new Deployment(badQuantity).validate()).toThrow(/quantity/);
  });

  it('runs at least two replicas with a disruption budget', () => {
    expect(deployment.spec.replicas).toBeGreaterThanOrEqual(2);
    expect(matches(pdb.spec.selector.matchLabels, pod.metadata.labels)).toBe(true);
    expect(pdb.spec.minAvailable).toBeLessThan(deployment.spec.replicas);
  });

  it('requests and limits resources for every container, limits at or above requests', () => {
    for (const c of [...pod.spec.containers, ...job.spec.template.spec.containers]) {
      const { requests = {}, limits = {} } = c.resources ?? {};
      expect({ container: c.name, requests: Object.keys(requests).sort() }).toEqual({
        container: c.name,
        requests: ['cpu', 'memory'],
      });
      expect({ container: c.name, memoryLimit: typeof limits.memory }).toEqual({
        container: c.name,
        memoryLimit: 'string',
      });
      for (const [resource, limit] of Object.entries(limits)) {
        expect(quantity(limit)).toBeGreaterThanOrEqual(quantity(requests[resource] ?? '0'));
      }
    }
  });

  it('probes routes the app serves, on the port it listens on', () => {
    const appPort = Number(configMap.data.PORT);
    expect(portNames.get('http')).toBe(appPort);
    expect(container.startupProbe?.httpGet.path).toBe('/health/live');
    expect(container.livenessProbe?.httpGet.path).toBe('/health/live');
    expect(container.readinessProbe?.httpGet.path).toBe('/health/ready');
    for (const probe of [
      container.startupProbe,
      container.livenessProbe,
      container.readinessProbe,
    ]) {
      expect(ROUTES).toContain(probe?.httpGet.path);
      // A named port must be one of the container's; either way it resolves to the app's port.
      const port = probe?.httpGet.port;
      expect(typeof port === 'number' ? port : portNames.get(String(port))).toBe(appPort);
    }
    const annotations = pod.metadata.annotations ?? {};
    expect(ROUTES).toContain(annotations['prometheus.io/path']);
    expect(Number(annotations['prometheus.io/port'])).toBe(portNames.get('http'));
  });

  it('lets a pod drain: grace period above the preStop pause plus main.ts hard stop', () => {
    const { hardStop, drain } = shutdownBoundsMs();
    expect(drain).toBeLessThan(hardStop);
    const preStop = container.lifecycle?.preStop?.exec?.command ?? [];
    expect(preStop[0]).toBe('sleep');
    const pauseMs = Number(preStop[1]) * 1000;
    expect((pod.spec.terminationGracePeriodSeconds ?? 30) * 1000).toBeGreaterThan(
      pauseMs + hardStop,
    );
  });

  it('runs as non-root on a read-only root filesystem, /tmp an emptyDir', () => {
    for (const spec of [pod.spec, job.spec.template.spec]) {
      expect(spec.securityContext).toMatchObject({ runAsNonRoot: true });
      // The image's `node` user (Dockerfile USER node, uid 1000 in node images).
      expect(spec.securityContext?.runAsUser).toBe(1000);
      const c = spec.containers[0];
      expect(c.securityContext).toMatchObject({
        readOnlyRootFilesystem: true,
        allowPrivilegeEscalation: false,
        capabilities: { drop: ['ALL'] },
      });
      const tmp = c.volumeMounts?.find((m) => m.mountPath === '/tmp');
      expect(spec.volumes?.find((v) => v.name === tmp?.name)?.emptyDir).toBeDefined();
    }
  });

  it('exposes the pods through the Service by port name', () => {
    expect(matches(service.spec.selector, pod.metadata.labels)).toBe(true);
    for (const port of service.spec.ports) {
      expect(portNames.has(String(port.targetPort))).toBe(true);
    }
    // Migration pods are not endpoints of the Service nor counted by the budget.
    expect(matches(service.spec.selector, job.spec.template.metadata.labels)).toBe(false);
    expect(matches(pdb.spec.selector.matchLabels, job.spec.template.metadata.labels)).toBe(false);
  });

  it('configures every variable of the environment table, with names loadEnv reads', () => {
    const names = [...Object.keys(configMap.data), ...Object.keys(secret.stringData)];
    for (const name of names) {
      expect(KNOWN_VARIABLES).toContain(name);
    }
    expect(new Set(names)).toEqual(new Set([...ENV_VARIABLES, 'LOG_LEVEL']));
    expect(read('deploy/k8s/configmap.yaml')).toMatch(/#\s*NODE_EXTRA_CA_CERTS:/);
    for (const value of [...Object.values(configMap.data), ...Object.values(secret.stringData)]) {
      expect(typeof value).toBe('string'); // ConfigMap/Secret values must be strings
    }
    for (const c of [container, job.spec.template.spec.containers[0]]) {
      expect(c.envFrom).toEqual([
        { configMapRef: { name: configMap.metadata.name } },
        { secretRef: { name: secret.metadata.name } },
      ]);
      for (const variable of c.env ?? []) {
        expect(KNOWN_VARIABLES).toContain(variable.name);
      }
    }
  });

  it("holds example values that pass production's validation, migrations off in pods", () => {
    const env = loadProductionEnv({
      ...(configMap.data as Record<string, string>),
      ...(secret.stringData as Record<string, string>),
    });
    expect(env.app.production).toBe(true);
    expect(env.database.migrateOnStart).toBe(false);
    expect(env.database.url).toBeDefined();
  });

  it('migrates with a Job running the migration CLI of the same image, with the same secrets', () => {
    const migrate = job.spec.template.spec.containers[0];
    expect(migrate.image).toBe(container.image);
    expect(migrate.envFrom).toEqual(container.envFrom);
    expect(migrate.env ?? []).toEqual(container.env ?? []);
    expect(migrate.command).toEqual(['node', 'dist/src/config/migration-cli.js', 'run']);
    expect(existsSync(join(ROOT, 'src', 'config', 'migration-cli.ts'))).toBe(true);
    expect(job.spec.template.spec.restartPolicy).toBe('Never');
  });
});

describe('test selection', () => {
  /** The spec files jest itself would run with a config (jest --listTests), relative to the root. */
  const listed = (...config: string[]): string[] =>
    (
      JSON.parse(
        execFileSync(
          process.execPath,
          [require.resolve('jest/bin/jest'), ...config, '--listTests', '--json'],
          { cwd: ROOT, encoding: 'utf8', timeout: 60_000 },
        ),
      ) as string[]
    )
      .map((file) => file.slice(ROOT.length + 1))
      .sort();

  it('runs these manifest checks in npm test, and the image test (Docker, minutes) only in test:image', () => {
    const scripts = (JSON.parse(read('package.json')) as { scripts: Record<string, string> })
      .scripts;
    expect(scripts.test).toBe('jest');
    expect(scripts['test:image']).toMatch(/^jest --config jest\.image\.config\.js\b/);
    const npmTest = listed();
    expect(npmTest).toContain('test/operability/deployment.e2e-spec.ts');
    expect(npmTest.filter((file) => file.startsWith('test/image/'))).toEqual([]);
    expect(listed('--config', 'jest.image.config.js')).toEqual(['test/image/image.image-spec.ts']);
  });
});
