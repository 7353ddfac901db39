import Table from 'cli-table3';

const NO_BORDERS = {
  top: '',
  'top-mid': '',
  'top-left': '',
  'top-right': '',
  bottom: '',
  'bottom-mid': '',
  'bottom-left': '',
  'bottom-right': '',
  left: '',
  'left-mid': '',
  mid: '',
  'mid-mid': '',
  right: '',
  'right-mid': '',
  middle: '  ',
};

export type Cell = string | number | boolean | null | undefined;

const text = (c: Cell): string => (c === null || c === undefined || c === '' ? '-' : String(c));

/** Columns as kubectl prints them: a header row in capitals, no borders, no colours. */
export function table(head: string[], rows: Cell[][]): string {
  const t = new Table({
    head: head.map((h) => h.toUpperCase()),
    chars: NO_BORDERS,
    style: { head: [], border: [], 'padding-left': 0, 'padding-right': 0 },
  });
  for (const r of rows) t.push(r.map(text));
  return t
    .toString()
    .split('\n')
    .map((l) => l.trimEnd())
    .join('\n');
}

/** `key  value` lines, for one object. */
export function fields(rows: [string, Cell][]): string {
  const width = Math.max(...rows.map(([k]) => k.length));
  return rows.map(([k, v]) => `${`${k}:`.padEnd(width + 2)} ${text(v)}`).join('\n');
}

/** A permission the way an operator writes it: `allow mqtt read sensors/#` (and its QoS/retain limits). */
export function permissionText(p: {
  effect?: string;
  context: string;
  operation: string;
  resource: string;
  maxQos?: number;
  retain?: boolean;
}): string {
  const extra = [
    p.maxQos !== undefined ? `maxQos=${p.maxQos}` : '',
    p.retain === false ? 'no-retain' : '',
  ].filter(Boolean);
  return `${p.effect ?? 'allow'} ${p.context} ${p.operation} ${p.resource}${extra.length ? ` (${extra.join(', ')})` : ''}`;
}
