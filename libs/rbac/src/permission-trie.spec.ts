import fc from 'fast-check';
import { PermissionTrie } from './permission-trie';
import { refMatches, topicUniverse } from './testing/reference';
import { covers } from './topic-matching';

describe('PermissionTrie', () => {
  const wide = (extra: string[]): PermissionTrie => {
    const trie = new PermissionTrie();
    for (let i = 0; i < 20; i++) trie.insert(`x/k${i}`); // more than 8 siblings: hash table
    for (const f of extra) trie.insert(f);
    return trie;
  };

  it("keeps levels whose hashes collide apart ('Aa' and 'BB' share the polynomial hash 2112)", () => {
    const trie = wide(['x/Aa']);
    expect(trie.matchTopic('x/Aa')).toBe(true);
    expect(trie.matchTopic('x/BB')).toBe(false);
    expect(trie.coverFilter('x/BB')).toBe(false);
    trie.insert('x/BB/#');
    expect(trie.matchTopic('x/BB/y')).toBe(true);
    expect(trie.matchTopic('x/Aa/y')).toBe(false);
    expect(trie.matchTopic('x/Aa')).toBe(true);
    expect(trie.matchTopic('x/AaBB')).toBe(false);
  });

  it('finds each of many siblings and nothing else as the hash table grows (similar labels)', () => {
    const trie = new PermissionTrie();
    const ids = Array.from({ length: 5000 }, (_, i) => `m${String(i).padStart(4, '0')}`);
    for (const id of ids) trie.insert(`plant/${id}/temp`);
    for (const id of ids) expect(trie.matchTopic(`plant/${id}/temp`)).toBe(true);
    for (let i = 5000; i < 6000; i++) expect(trie.matchTopic(`plant/m${i}/temp`)).toBe(false);
    expect(trie.matchTopic('plant/m000/temp')).toBe(false);
    expect(trie.matchTopic('plant/m00000/temp')).toBe(false);
    expect(trie.filterCount).toBe(5000);
  });

  it('keeps every child when a node grows from the small array to the hash table', () => {
    const trie = new PermissionTrie();
    const levels = Array.from({ length: 30 }, (_, i) => `l${i}`);
    for (const l of levels) {
      trie.insert(`a/${l}/end`);
      for (const seen of levels.slice(0, levels.indexOf(l) + 1)) {
        expect(trie.matchTopic(`a/${seen}/end`)).toBe(true);
      }
    }
    expect(trie.matchTopic('a/l30/end')).toBe(false);
    expect(trie.filterCount).toBe(30);
  });

  it('compares whole levels only (prefixes, empty levels, trailing slash)', () => {
    const trie = wide(['x/ab', 'y/', 'z']);
    expect(trie.matchTopic('x/a')).toBe(false);
    expect(trie.matchTopic('x/abc')).toBe(false);
    expect(trie.matchTopic('x/ab/')).toBe(false);
    expect(trie.matchTopic('y/')).toBe(true);
    expect(trie.matchTopic('y')).toBe(false);
    expect(trie.matchTopic('z/')).toBe(false);
    expect(trie.matchTopic('x/k1')).toBe(true);
    expect(trie.matchTopic('x/k1x')).toBe(false);
  });

  it('counts distinct filters', () => {
    const trie = new PermissionTrie();
    for (const f of ['a', 'a', 'a/#', 'a/#', '+', '#']) trie.insert(f);
    expect(trie.filterCount).toBe(4);
  });
});

describe('PermissionTrie: denies (SPEC 1.4.6), by brute force over a complete topic universe', () => {
  // Filters of at most 3 levels plus '#': topics of up to 5 levels over the filters' literals, a fresh
  // level and a fresh '$' level decide intersection and matching exactly (see refCoversIn).
  const level = fc.constantFrom('a', '', '$x', '+');
  const filterArb = fc
    .tuple(fc.array(level, { minLength: 0, maxLength: 3 }), fc.boolean())
    .map(([ls, hash]) => (hash || ls.length === 0 ? [...ls, '#'] : ls))
    .filter((ls) => ls.join('/') !== '')
    .map((ls) => ls.join('/'));
  const universe = topicUniverse(['a', '', '$x', 'c', '$y'], 5);
  const arb = fc.tuple(
    fc.array(filterArb, { minLength: 0, maxLength: 3 }),
    fc.array(filterArb, { minLength: 0, maxLength: 3 }),
    filterArb,
  );

  it('denyIntersects(f) ⇔ some topic is matched by f and by a deny; decideFilter(f) ⇔ an allow and no deny covers f; decideTopic ⇔ an allow and no deny match', () => {
    fc.assert(
      fc.property(arb, ([denies, allows, f]) => {
        const trie = new PermissionTrie();
        for (const d of denies) trie.insertDeny(d);
        for (const a of allows) trie.insert(a);
        const shared = universe.some((t) => refMatches(f, t) && denies.some((d) => refMatches(d, t)));
        if (trie.denyIntersects(f) !== shared) return false;
        const subscribe = allows.some((a) => covers(a, f)) && !denies.some((d) => covers(d, f));
        if (trie.decideFilter(f) !== subscribe || trie.coverFilter(f) !== allows.some((a) => covers(a, f))) {
          return false;
        }
        return universe.every(
          (t) =>
            trie.decideTopic(t) ===
            (allows.some((a) => refMatches(a, t)) && !denies.some((d) => refMatches(d, t))),
        );
      }),
      { numRuns: 300 },
    );
  });

  it('refuses a deny after an allow (the allow may have been marked clean)', () => {
    const trie = new PermissionTrie();
    trie.insert('a/#');
    expect(() => trie.insertDeny('a/b')).toThrow('insert denies before allows');
  });

  it('skips the deny walk only when no deny key is in the topic (keys are the literals the allows use least)', () => {
    const trie = new PermissionTrie();
    trie.insertDeny('plant/+/line/+/machine/dz01/#'); // key: dz01 at depth 5 (no allow uses it)
    trie.insertDeny('plant/p1/line/l1/alarm'); // key: alarm at depth 4 (p1 and l1 are used by the allows)
    trie.insert('plant/#');
    for (let i = 0; i < 20; i++) trie.insert(`plant/p1/line/l${i}/machine/m${i}/#`);
    expect(trie.decideTopic('plant/p2/line/l3/machine/dz01')).toBe(false); // '#' matches the parent level
    expect(trie.decideTopic('plant/p2/line/l3/machine/dz01/t/u')).toBe(false);
    expect(trie.decideTopic('plant/p2/line/l3/machine/dz02')).toBe(true);
    expect(trie.decideTopic('plant/p1/line/l1/alarm')).toBe(false);
    expect(trie.decideTopic('plant/p1/line/l2/alarm')).toBe(true);
    expect(trie.decideFilter('plant/p9/line/l9/machine/dz01/#')).toBe(false);
    expect(trie.decideFilter('plant/p9/line/l9/machine/+/#')).toBe(true); // the deny only intersects it
    expect(trie.decideFilter('plant/p1/line/l1/alarm')).toBe(false);
    // a deny of wildcards only has no key: every check walks the denies
    const all = new PermissionTrie();
    all.insertDeny('+/+/#');
    all.insert('#');
    expect(all.decideTopic('a/b')).toBe(false);
    expect(all.decideTopic('a')).toBe(true);
    expect(all.decideFilter('a/+')).toBe(false);
  });
});
