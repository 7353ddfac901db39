/**
 * Property tests of SPEC 1.4.1 / 1.4.3 (matches, covers) against the reference implementation, brute
 * force and the aedes router's own matcher (qlobber). 10,000 runs each, small alphabets.
 */
import fc from 'fast-check';
import { covers, firstLevelIsWildcard, matches } from './topic-matching';
import {
  FILTER_LITERALS,
  TOPIC_LEVELS,
  filterAndTopicArb,
  filterArb,
  filterLevelsArb,
  topicArb,
  topicMatchedBy,
} from './testing/arbitraries';
import { qlobberMatches } from './testing/qlobber';
import { refMatches, refMatchesLevels, topicUniverse } from './testing/reference';

const RUNS = { numRuns: 10_000 } as const;

/** A permission likely to cover `levels`: some levels widened to '+', maybe truncated with '#'. */
function generalizationOf(levels: readonly string[]): fc.Arbitrary<string> {
  return fc
    .tuple(
      fc.array(fc.boolean(), { minLength: levels.length, maxLength: levels.length }),
      fc.nat({ max: levels.length }),
    )
    .map(([widen, cut]) => {
      const out = levels.map((l, i) => (widen[i] && l !== '#' ? '+' : l));
      if (cut < out.length) return [...out.slice(0, cut), '#'].join('/');
      return out.join('/');
    })
    .filter((f) => f !== '');
}

describe('matches: properties', () => {
  it('agrees with the reference implementation', () => {
    fc.assert(
      fc.property(
        filterAndTopicArb,
        ([filter, topic]) => matches(filter, topic) === refMatches(filter, topic),
      ),
      RUNS,
    );
  });

  it('agrees with the aedes router (qlobber, match_empty_levels) on topics not starting with $', () => {
    fc.assert(
      fc.property(filterAndTopicArb, ([filter, topic]) => {
        fc.pre(!topic.startsWith('$'));
        return matches(filter, topic) === qlobberMatches(filter, topic);
      }),
      RUNS,
    );
  });

  it('on $ topics equals qlobber plus the $ rule aedes applies [MQTT-4.7.2-1]', () => {
    const dollarTopic = fc
      .array(fc.constantFrom(...TOPIC_LEVELS), { minLength: 0, maxLength: 4 })
      .chain((rest) => fc.constantFrom('$x', '$SYS', '$').map((first) => [first, ...rest].join('/')));
    fc.assert(
      fc.property(
        fc.oneof(
          filterArb,
          filterArb.map((f) => `$x/${f}`),
          fc.constant('$x/#'),
        ),
        dollarTopic,
        (filter, topic) => {
          const aedesDelivers = qlobberMatches(filter, topic) && !firstLevelIsWildcard(filter);
          return matches(filter, topic) === aedesDelivers;
        },
      ),
      RUNS,
    );
  });

  it('a $ topic is never matched by a filter whose first level is + or # [MQTT-4.7.2-1]', () => {
    const wildFirst = filterLevelsArb.chain((levels) =>
      fc.constantFrom('+', '#').map((w) => (w === '#' ? '#' : ['+', ...levels].join('/'))),
    );
    const dollarTopic = topicArb.map((t) => `$${t}`);
    fc.assert(
      fc.property(wildFirst, dollarTopic, (filter, topic) => {
        return !matches(filter, topic) && !refMatches(filter, topic) && !covers(filter, topic);
      }),
      RUNS,
    );
  });
});

describe('covers: properties', () => {
  let coveredCases = 0;

  it('is sound: covers(p, f) and matches(f, t) imply matches(p, t)', () => {
    const arb = filterLevelsArb.chain((levels) =>
      fc.tuple(
        fc.oneof(filterArb, generalizationOf(levels)),
        fc.constant(levels.join('/')),
        fc.oneof({ weight: 3, arbitrary: topicMatchedBy(levels) }, { weight: 1, arbitrary: topicArb }),
      ),
    );
    fc.assert(
      fc.property(arb, ([p, f, t]) => {
        if (covers(p, f) && refMatches(f, t)) {
          coveredCases++;
          return refMatches(p, t);
        }
        return true;
      }),
      RUNS,
    );
    expect(coveredCases).toBeGreaterThan(2_000); // not vacuous
  });

  it('is complete on generated filters without $: equals brute force over every topic of ≤ 4 levels', () => {
    // Filters of ≤ 3 plain levels (+ optional '#'); a non-covered pair always has a witness of ≤ 4
    // levels over the filter literals plus the fresh level 'c' (see the exhaustive test).
    const levels = FILTER_LITERALS.filter((l) => !l.startsWith('$'));
    const universe = topicUniverse([...levels, 'c'], 4).map((t) => t.split('/'));
    const small = fc
      .tuple(fc.array(fc.constantFrom(...levels, '+'), { minLength: 0, maxLength: 3 }), fc.boolean())
      .map(([ls, hash]) => (hash || ls.length === 0 ? [...ls, '#'] : ls))
      .filter((ls) => ls.join('/') !== '');
    const pair = small.chain((f) =>
      fc.tuple(
        fc.oneof(
          small,
          generalizationOf(f).map((p) => p.split('/')),
        ),
        fc.constant(f),
      ),
    );
    let positives = 0;
    fc.assert(
      fc.property(pair, ([p, f]) => {
        const brute = universe.every((t) => !refMatchesLevels(f, t) || refMatchesLevels(p, t));
        if (brute) positives++;
        return covers(p.join('/'), f.join('/')) === brute;
      }),
      RUNS,
    );
    expect(positives).toBeGreaterThan(2_000);
  });

  it('is reflexive and a filter covers each topic it matches', () => {
    fc.assert(
      fc.property(filterAndTopicArb, ([f, t]) => {
        return covers(f, f) && (t === '' || covers(f, t) === matches(f, t));
      }),
      RUNS,
    );
  });
});
