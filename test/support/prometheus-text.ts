/**
 * A strict parser of the Prometheus text exposition format 0.0.4, for the tests (prom-client writes
 * the format but does not read it). Throws on any line that is not a comment, a HELP/TYPE line or a
 * well-formed sample, on a sample without a TYPE, and on a family whose TYPE appears twice.
 */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface Exposition {
  types: Map<string, string>;
  samples: Sample[];
  /** The value of the sample `name` whose labels include `labels` (summed when several match). */
  value(name: string, labels?: Record<string, string>): number;
  /** Whether some sample of `name` exists. */
  has(name: string): boolean;
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const TYPES = new Set(['counter', 'gauge', 'histogram', 'summary', 'untyped']);
const SUFFIXES = ['_bucket', '_sum', '_count', '_total', '_created'];

/** As Prometheus reads values (Go's ParseFloat): `NaN` and `Inf` in any case (prom-client writes `Nan`). */
function parseValue(raw: string, line: string): number {
  const special = raw.toLowerCase();
  if (special === '+inf' || special === 'inf') return Infinity;
  if (special === '-inf') return -Infinity;
  if (special === 'nan') return NaN;
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(raw)) throw new Error(`bad value in: ${line}`);
  return Number(raw);
}

function parseLabels(text: string, line: string): Record<string, string> {
  const labels: Record<string, string> = {};
  let i = 0;
  while (i < text.length) {
    const m = /^([a-zA-Z_][a-zA-Z0-9_]*)="/.exec(text.slice(i));
    if (!m) throw new Error(`bad label in: ${line}`);
    i += m[0].length;
    let value = '';
    for (;;) {
      if (i >= text.length) throw new Error(`unterminated label value in: ${line}`);
      const c = text[i++];
      if (c === '"') break;
      if (c === '\\') {
        const e = text[i++];
        if (e === 'n') value += '\n';
        else if (e === '\\' || e === '"') value += e;
        else throw new Error(`bad escape in: ${line}`);
      } else value += c;
    }
    if (m[1] in labels) throw new Error(`label ${m[1]} twice in: ${line}`);
    labels[m[1]] = value;
    if (text[i] === ',') i++;
    else if (i < text.length) throw new Error(`expected , in: ${line}`);
  }
  return labels;
}

export function parsePrometheusText(text: string): Exposition {
  const types = new Map<string, string>();
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '') continue;
    if (line.startsWith('#')) {
      const m = /^# (HELP|TYPE) (\S+) ?(.*)$/.exec(line);
      if (!m) continue; // a plain comment
      if (!NAME.test(m[2])) throw new Error(`bad metric name in: ${line}`);
      if (m[1] === 'TYPE') {
        if (!TYPES.has(m[3])) throw new Error(`bad type in: ${line}`);
        if (types.has(m[2])) throw new Error(`TYPE twice for ${m[2]}`);
        types.set(m[2], m[3]);
      }
      continue;
    }
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)(?: (-?\d+))?$/.exec(line);
    if (!m) throw new Error(`not a sample: ${JSON.stringify(line)}`);
    const name = m[1];
    const family = types.has(name)
      ? name
      : SUFFIXES.map((s) => name.replace(new RegExp(`${s}$`), '')).find((f) => types.has(f));
    if (!family) throw new Error(`sample without a TYPE: ${line}`);
    samples.push({ name, labels: parseLabels(m[2] ?? '', line), value: parseValue(m[3], line) });
  }
  const matching = (name: string, labels: Record<string, string>) =>
    samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  return {
    types,
    samples,
    value: (name, labels = {}) => matching(name, labels).reduce((sum, s) => sum + s.value, 0),
    has: (name) => samples.some((s) => s.name === name),
  };
}
