/**
 * The aedes 1.x router's matcher, for agreement tests: mqemitter builds `new Qlobber({ separator: '/',
 * wildcard_one: '+', wildcard_some: '#', match_empty_levels: true })` (aedes passes
 * `matchEmptyLevels: true`, [MQTT-4.7.1-3]); aedes applies the `$` rule itself (subscribe.js
 * `blockDollarSignTopics`). qlobber ships no types, hence the typed require.
 */
interface QlobberTrueInstance {
  add(topic: string): this;
  test(topic: string): boolean;
}
type QlobberTrueClass = new (options: Record<string, unknown>) => QlobberTrueInstance;

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { QlobberTrue } = require('qlobber') as { QlobberTrue: QlobberTrueClass };

/** The options aedes 1.x (through mqemitter 7) gives qlobber. */
export const AEDES_QLOBBER_OPTIONS = {
  separator: '/',
  wildcard_one: '+',
  wildcard_some: '#',
  match_empty_levels: true,
} as const;

const cache = new Map<string, QlobberTrueInstance>();

/** Does the aedes router deliver a message on `topic` to a subscription `filter` (before the `$` rule)? */
export function qlobberMatches(filter: string, topic: string): boolean {
  let q = cache.get(filter);
  if (q === undefined) {
    q = new QlobberTrue({ ...AEDES_QLOBBER_OPTIONS });
    q.add(filter);
    cache.set(filter, q);
  }
  return q.test(topic);
}
