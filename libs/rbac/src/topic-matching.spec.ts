import { covers, matches } from './topic-matching';
import { refCoversIn, refMatches, topicUniverse } from './testing/reference';

describe('matches (SPEC 1.4.1)', () => {
  it.each<[string, string, boolean]>([
    // literal levels
    ['a', 'a', true],
    ['a', 'b', false],
    ['a/b', 'a/b', true],
    ['a/b', 'a', false],
    ['a', 'a/b', false],
    ['A', 'a', false], // case-sensitive
    ['a/b', 'a/b/', false], // a trailing slash adds an empty level
    // '+' = exactly one level, also an empty one [MQTT-4.7.1-3]
    ['+', 'a', true],
    ['+', '', true],
    ['+', '/', false],
    ['+/+', '/', true],
    ['a/+', 'a/', true],
    ['a/+', 'a', false],
    ['a/+', 'a/b/c', false],
    ['+/b', '/b', true],
    ['sport/tennis/+', 'sport/tennis/player1', true],
    ['sport/tennis/+', 'sport/tennis/player1/ranking', false],
    ['sport/+', 'sport', false],
    ['sport/+', 'sport/', true],
    // '#' = the parent level and any number of levels [MQTT-4.7.1-2]
    ['#', 'a', true],
    ['#', 'a/b/c', true],
    ['#', '/', true],
    ['a/#', 'a', true],
    ['a/#', 'a/', true],
    ['a/#', 'a/b', true],
    ['a/#', 'a/b/c', true],
    ['a/#', 'b', false],
    ['a/#', 'ab', false],
    ['a/b/#', 'a', false],
    ['sport/#', 'sport', true],
    ['/#', '/a', true],
    ['+/#', 'a', true],
    ['a/+/#', 'a', false],
    ['a/+/#', 'a/b', true],
    // '$' topics [MQTT-4.7.2-1]
    ['#', '$SYS', false],
    ['#', '$SYS/broker', false],
    ['+/monitor/Clients', '$SYS/monitor/Clients', false],
    ['+', '$x', false],
    ['+/#', '$x/a', false],
    ['$SYS/#', '$SYS/monitor/Clients', true],
    ['$SYS/monitor/+', '$SYS/monitor/Clients', true],
    ['$SYS', '$SYS', true],
    ['a/+', 'a/$x', true], // only the first level is special
    ['a/#', 'a/$x/b', true],
    // '+' and '#' in a topic are data, compared literally
    ['a/+', 'a/+', true],
    ['a/b', 'a/+', false],
  ])('matches(%j, %j) = %s', (filter, topic, expected) => {
    expect(matches(filter, topic)).toBe(expected);
    expect(refMatches(filter, topic)).toBe(expected);
  });
});

describe('covers (SPEC 1.4.3)', () => {
  it.each<[string, string, boolean]>([
    ['factory/+/temp', 'factory/l1/temp', true],
    ['factory/+/temp', 'factory/+/temp', true],
    ['factory/+/temp', 'factory/#', false],
    ['factory/+/temp', 'factory/+/+', false],
    ['factory/l1/temp', 'factory/+/temp', false],
    ['a', 'a', true],
    ['a', 'b', false],
    ['a/b', 'a', false],
    ['a', 'a/b', false],
    ['a/#', 'a', true],
    ['a/#', 'a/#', true],
    ['a/#', 'a/b/c', true],
    ['a/#', 'a/+', true],
    ['a/#', 'a/+/#', true],
    ['a/#', 'a/', true],
    ['a/#', 'b/#', false],
    ['a/#', '#', false],
    ['a/+', 'a/#', false], // 'a/#' also matches 'a' and 'a/b/c'
    ['a/+', 'a/+', true],
    ['a/+', 'a/', true],
    ['a/+', 'a', false],
    ['a/+/#', 'a/+/b', true],
    ['a/+/#', 'a/#', false], // 'a/#' matches 'a'
    ['a/+/#', 'a/b', true],
    ['a/+/#', 'a/b/#', true],
    ['a/b/#', 'a/+/#', false],
    ['+', 'a', true],
    ['+', '+', true],
    ['+', '#', false],
    ['+', '/', false],
    ['+/+', '/', true],
    ['#', 'a', true],
    ['#', '+', true],
    ['#', '+/a', true],
    ['#', 'a/#', true],
    ['#', '#', true],
    ['#', '/#', true],
    ['#', '+/#', true],
    ['+/#', '#', true], // both match every topic not starting with '$'
    ['+/#', 'a', true],
    ['+/+/#', '#', false],
    // '$' topics [MQTT-4.7.2-1]
    ['#', '$SYS/#', false],
    ['#', '$SYS', false],
    ['#', '$SYS/x', false],
    ['+/#', '$SYS/#', false],
    ['+', '$x', false],
    ['$SYS/#', '$SYS/#', true],
    ['$SYS/#', '$SYS', true],
    ['$SYS/#', '$SYS/+/x', true],
    ['$SYS/#', '#', false],
    ['$SYS/#', '+/#', false],
    ['$SYS/+', '$SYS/a', true],
    ['+/a', '$x/a', false],
    ['a/#', 'a/$x', true], // '$' is special only in the first level
    ['a/+', 'a/$x', true],
    // invalid filters are never covered nor cover
    ['#', 'a/#/b', false],
    ['a/#/b', 'a/x/b', false],
    ['#', '', false],
    ['+', '', false], // '' (one empty level) is not a valid filter
    ['a+', 'a+', false],
  ])('covers(%j, %j) = %s', (permission, requested, expected) => {
    expect(covers(permission, requested)).toBe(expected);
  });

  /**
   * Completeness and soundness proven by exhaustion: every pair of filters of up to 3 plain levels
   * (over the literals 'a', 'b', '' and '$x', and '+') with or without a trailing '#' (310 valid filters,
   * 96,100 pairs), against brute force over every topic of 1..5 levels from 'a', 'b', '', '$x' plus
   * the fresh levels 'c' and '$y' (9,330 topics).
   *
   * Why this universe decides coverage exactly: if `requested` is not covered there is a topic it
   * matches and the permission does not; take the first level where they disagree and instantiate
   * wildcards with a fresh level ('c', or '$y' where '$' matters); that witness is at most one level
   * longer than the longer non-'#' part (≤ 4 levels) and uses only levels of the universe.
   */
  it('equals brute force over a finite universe for every pair of small filters (exhaustive)', () => {
    const literals = ['a', 'b', '', '$x', '+'];
    const filters: string[] = [];
    let layer: string[][] = [[]];
    for (let n = 0; n <= 3; n++) {
      for (const levels of layer) {
        if (levels.length > 0 && levels.join('/') !== '') filters.push(levels.join('/')); // '' is not a filter
        filters.push([...levels, '#'].join('/'));
      }
      layer = layer.flatMap((levels) => literals.map((l) => [...levels, l]));
    }
    expect(filters).toHaveLength(310);
    const universe = topicUniverse(['a', 'b', '', '$x', 'c', '$y'], 5);
    expect(universe).toHaveLength(9330);

    // Bitset of the universe topics each filter matches (reference matcher), and matches() agreement.
    const words = Math.ceil(universe.length / 32);
    const sets = filters.map((f) => {
      const bits = new Uint32Array(words);
      universe.forEach((t, i) => {
        const m = refMatches(f, t);
        if (m !== matches(f, t)) throw new Error(`matches(${f}, ${t}) disagrees with the reference`);
        if (m) bits[i >>> 5] |= 1 << (i & 31);
      });
      return bits;
    });

    let coveredPairs = 0;
    const failures: string[] = [];
    for (let p = 0; p < filters.length; p++) {
      for (let f = 0; f < filters.length; f++) {
        const sp = sets[p];
        const sf = sets[f];
        let subset = true;
        for (let w = 0; w < words && subset; w++) if ((sf[w] & ~sp[w]) !== 0) subset = false;
        const got = covers(filters[p], filters[f]);
        if (got !== subset && failures.length < 10)
          failures.push(`covers(${filters[p]}, ${filters[f]}) = ${got}`);
        if (subset) coveredPairs++;
      }
    }
    expect(failures).toEqual([]);
    expect(coveredPairs).toBeGreaterThan(2000); // the test is not vacuous
    // spot-check the brute force helper itself
    expect(refCoversIn(universe, 'a/#', 'a/+')).toBe(true);
    expect(refCoversIn(universe, 'a/+', 'a/#')).toBe(false);
  });
});
