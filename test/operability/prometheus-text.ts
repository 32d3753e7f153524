/** One sample of the Prometheus text exposition format (0.0.4). */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface Exposition {
  samples: Sample[];
  /** `# TYPE` of each metric family. */
  types: Map<string, string>;
  help: Map<string, string>;
}

const SAMPLE_RE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+-?\d+)?$/;
const LABEL_RE = /\s*([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"\s*(?:,|$)/y;

function unescape(value: string): string {
  return value.replace(/\\(.)/g, (_m, c: string) => (c === 'n' ? '\n' : c));
}

function parseValue(raw: string): number {
  switch (raw) {
    case '+Inf':
      return Infinity;
    case '-Inf':
      return -Infinity;
    case 'NaN':
    case 'Nan': // prom-client's spelling; Prometheus reads NaN case-insensitively
      return NaN;
    default: {
      const value = Number(raw);
      if (Number.isNaN(value)) {
        throw new Error(`not a sample value: ${raw}`);
      }
      return value;
    }
  }
}

function parseLabels(body: string, line: string): Record<string, string> {
  const labels: Record<string, string> = {};
  LABEL_RE.lastIndex = 0;
  while (LABEL_RE.lastIndex < body.length) {
    const match = LABEL_RE.exec(body);
    if (match === null) {
      throw new Error(`malformed labels in: ${line}`);
    }
    labels[match[1]] = unescape(match[2]);
  }
  return labels;
}

/** A strict little parser: any line it does not understand fails the test that scraped it. */
export function parseExposition(text: string): Exposition {
  const exposition: Exposition = { samples: [], types: new Map(), help: new Map() };
  for (const line of text.split('\n')) {
    if (line.trim() === '') {
      continue;
    }
    const meta = /^# (HELP|TYPE) (\S+) (.*)$/.exec(line);
    if (meta !== null) {
      (meta[1] === 'HELP' ? exposition.help : exposition.types).set(meta[2], meta[3]);
      continue;
    }
    if (line.startsWith('#')) {
      continue;
    }
    const sample = SAMPLE_RE.exec(line);
    if (sample === null) {
      throw new Error(`malformed sample line: ${line}`);
    }
    exposition.samples.push({
      name: sample[1],
      labels: sample[2] === undefined ? {} : parseLabels(sample[2], line),
      value: parseValue(sample[3]),
    });
  }
  return exposition;
}

/** Value of the one sample named `name` whose labels include `labels`; 0 when there is none. */
export function sampleValue(
  exposition: Exposition,
  name: string,
  labels: Record<string, string> = {},
): number {
  const matching = exposition.samples.filter(
    (s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v),
  );
  if (matching.length > 1) {
    throw new Error(`${matching.length} samples of ${name} match ${JSON.stringify(labels)}`);
  }
  return matching[0]?.value ?? 0;
}

/** Like sampleValue, but a missing series fails the test instead of reading as 0. */
export function requireSample(
  exposition: Exposition,
  name: string,
  labels: Record<string, string> = {},
): number {
  const found = exposition.samples.some(
    (s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v),
  );
  if (!found) {
    throw new Error(`no sample of ${name} with ${JSON.stringify(labels)}`);
  }
  return sampleValue(exposition, name, labels);
}
