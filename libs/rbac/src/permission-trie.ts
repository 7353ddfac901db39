/**
 * A trie node: its own literal level (`label`), its literal children (a small array compared in
 * place, or an open-addressing table keyed by level hash once there are many), a `+` child, and flags
 * for `#` below / a filter ending here.
 */
interface TrieNode {
  readonly label: string;
  /** literal children while there are at most {@link SMALL_FANOUT}; `null` once `wide` is used */
  small: TrieNode[] | null;
  /**
   * literal children by {@link levelHash} of their label: open addressing with linear probing, a
   * power-of-two length, at most half full (so a look-up always reaches an empty slot)
   */
  wide: (TrieNode | null)[] | null;
  wideCount: number;
  /** 32 − log2(`wide.length`): {@link slotOf} takes the top bits of a multiplicative hash */
  wideShift: number;
  /** {@link levelHash} of `label` */
  readonly key: number;
  plus: TrieNode | null;
  /**
   * the union of the masks of the filters `<path to this node>/#` inserted (0: none). A mask is a set
   * of bits a check asks for; for write permissions the bits are (QoS, retain) combinations (SPEC 1.4.7)
   */
  hash: number;
  /** the union of the masks of the filters ending exactly at this node (0: none) */
  end: number;
  /** a node of the deny trie: some deny filter ends at this node or below it ({@link PermissionTrie.insertDeny}) */
  denyBelow: boolean;
}

/** The deny keys of a {@link PermissionTrie}: per key depth (ascending), the hashes of the key literals. */
interface DenyKeys {
  /** some deny has no literal level before its `#`: every check walks the denies */
  always: boolean;
  depths: number[];
  /** per key depth, the key literals' {@link levelHash}es in a {@link hashTable} */
  tables: Int32Array[];
}

/** Level hashes (< 2^30) in an open-addressing table at most half full, stored + 1 (0: empty slot). */
function hashTable(hashes: ReadonlySet<number>): Int32Array {
  let size = 8;
  while (size < hashes.size * 2) size *= 2;
  const table = new Int32Array(size);
  for (const h of hashes) {
    let slot = slotOf(h, Math.clz32(size - 1));
    while (table[slot] !== 0) slot = (slot + 1) & (size - 1);
    table[slot] = h + 1;
  }
  return table;
}

function tableHas(table: Int32Array, h: number): boolean {
  const mask = table.length - 1;
  for (let slot = slotOf(h, Math.clz32(mask)); ; slot = (slot + 1) & mask) {
    const v = table[slot];
    if (v === 0) return false;
    if (v === h + 1) return true;
  }
}

/** {@link PermissionTrie}'s deny keys are built at the first check after an insert */
const UNBUILT = -2;

/** Up to this many literal children are compared one by one; beyond, they are looked up by hash. */
const SMALL_FANOUT = 8;

const SLASH = 47;
const PLUS = 43;
const HASH = 35;
const DOLLAR = 36;

function newNode(label: string): TrieNode {
  return {
    label,
    small: null,
    wide: null,
    wideCount: 0,
    wideShift: 32,
    key: levelHash(label, 0, label.length),
    plus: null,
    hash: 0,
    end: 0,
    denyBelow: false,
  };
}

/** Polynomial hash of `s[from, to)`, kept within V8's small-integer range. Collisions are verified. */
function levelHash(s: string, from: number, to: number): number {
  let h = 0;
  for (let i = from; i < to; i++) h = (Math.imul(h, 31) + s.charCodeAt(i)) | 0;
  return h & 0x3fffffff;
}

/** Is the level of `s` starting at `pos` exactly `label`? (No allocation, no builtin call.) */
function levelIs(s: string, pos: number, label: string): boolean {
  const after = pos + label.length;
  if (after > s.length || (after !== s.length && s.charCodeAt(after) !== SLASH)) return false;
  for (let k = 0; k < label.length; k++) {
    if (s.charCodeAt(pos + k) !== label.charCodeAt(k)) return false;
  }
  return true;
}

/** The literal child of `node` for the level of `s` starting at `pos`, if any. */
function literalChild(node: TrieNode, s: string, pos: number): TrieNode | undefined {
  const small = node.small;
  if (small !== null) {
    for (let k = 0; k < small.length; k++) {
      if (levelIs(s, pos, small[k].label)) return small[k];
    }
    return undefined;
  }
  const wide = node.wide;
  if (wide === null) return undefined;
  let end = pos;
  let h = 0;
  for (; end < s.length; end++) {
    const c = s.charCodeAt(end);
    if (c === SLASH) break;
    h = (Math.imul(h, 31) + c) | 0;
  }
  const key = h & 0x3fffffff;
  const length = end - pos;
  const mask = wide.length - 1;
  for (let slot = slotOf(key, node.wideShift); ; slot = (slot + 1) & mask) {
    const child = wide[slot];
    if (child === null) return undefined;
    if (child.key === key && child.label.length === length && levelIs(s, pos, child.label)) return child;
  }
}

function addLiteralChild(node: TrieNode, level: string): TrieNode {
  const existing = literalChild(node, level, 0); // `level` contains no '/', so it is one whole level
  if (existing !== undefined) return existing;
  const child = newNode(level);
  if (node.wide === null) {
    const small = (node.small ??= []);
    if (small.length < SMALL_FANOUT) {
      small.push(child);
      return child;
    }
    resizeWide(node, small, SMALL_FANOUT * 4);
    node.small = null;
  }
  if ((node.wideCount + 1) * 2 > (node.wide as (TrieNode | null)[]).length) {
    const old = node.wide as (TrieNode | null)[];
    resizeWide(node, old, old.length * 2);
  }
  place(node, child);
  return child;
}

/** Fibonacci hashing: the top bits of `key × 2^32/φ` pick the first slot, spreading runs of similar keys. */
function slotOf(key: number, shift: number): number {
  return Math.imul(key, 0x9e3779b1) >>> shift;
}

/** Moves `children` into a new table of `size` slots (a power of two). */
function resizeWide(node: TrieNode, children: readonly (TrieNode | null)[], size: number): void {
  node.wide = new Array<TrieNode | null>(size).fill(null);
  node.wideShift = 32 - Math.log2(size);
  node.wideCount = 0;
  for (const child of children) if (child !== null) place(node, child);
}

function place(node: TrieNode, child: TrieNode): void {
  const table = node.wide as (TrieNode | null)[];
  const mask = table.length - 1;
  let slot = slotOf(child.key, node.wideShift);
  while (table[slot] !== null) slot = (slot + 1) & mask;
  table[slot] = child;
  node.wideCount++;
}

/** Start of the level after the one starting at `pos`, or -1 if that was the last level. */
function nextLevel(s: string, pos: number): number {
  const slash = s.indexOf('/', pos);
  return slash === -1 ? -1 : slash + 1;
}

/** The mask of an allow inserted without one: it answers every check that asks for an allow. */
export const ANY_MASK = 0x3f;

/** The bit of a deny filter: no allow check asks for it. */
const DENY_MASK = 0x40;

/**
 * An allow's bits shifted by this much mark it clean: no deny shares a topic with it, so a topic it
 * matches is allowed whatever the denies ({@link PermissionTrie.decideTopic} stops there).
 */
const CLEAN_SHIFT = 8;

/**
 * A set of topic filters (or http path patterns) as a trie over levels, answering "does some filter
 * match this topic" and "does some filter cover this filter" without scanning the filters.
 *
 * Each filter carries a mask (a set of bits, {@link ANY_MASK} by default) and each check a `want` mask:
 * only filters whose mask shares a bit with `want` count. The compiled matcher uses the bits for the
 * (QoS, retain) combinations a write permission admits (SPEC 1.4.7).
 *
 * Deny filters (SPEC 1.4.6) live in a second trie of their own, so that they add no node, no `+` child
 * and no fan-out to the allows' trie. Each allow carries a "clean" copy of its bits when no deny shares a
 * topic with it (decided at insertion). {@link decideTopic} walks the allows as {@link matchTopic} does,
 * ending at the first allow that matches: a clean one allows whatever the denies; a topic no allow matches
 * is refused without looking at the denies; only a topic whose first matching allow is not clean asks
 * the denies, first with a key test ({@link PermissionTrie.denyMayApply}) and then, on a key hit, by a
 * walk of the (small) deny trie. A trie without denies answers {@link matchTopic} exactly as before.
 *
 * A check follows the topic level by level; it branches only where a node has both a matching literal
 * child and a `+` child, and visits each trie node at most once, so its cost is bounded by the topic's
 * depth times those branchings, not by the number of filters. Levels are compared in place, character
 * by character (a wide node first finds a slot by the level's hash, then compares): a check
 * allocates nothing.
 *
 * @internal not exported from the library; {@link CompiledPermissions} owns four of these.
 */
export class PermissionTrie {
  private readonly root: TrieNode = newNode('');
  /** the deny filters, a trie of their own (every node has `denyBelow`) */
  private readonly denyRoot: TrieNode = newNode('');
  private size = 0;

  /** Number of distinct filters inserted. */
  get filterCount(): number {
    return this.size;
  }

  /**
   * Adds a valid filter (`+`, `#` whole levels, `#` last; placeholders already substituted), with the
   * bits it answers (a filter inserted twice answers the union).
   */
  insert(filter: string, mask: number = ANY_MASK): void {
    const allow = mask & ANY_MASK;
    // Insert denies first: an allow no deny intersects is marked clean for decideTopic.
    const clean = this.denies === 0 || !this.denyIntersects(filter) ? allow << CLEAN_SHIFT : 0;
    this.add(filter, allow | clean, false);
    this.denyKeys = null; // the keys are chosen by how often the allows use a level
    this.keyDepth = UNBUILT;
  }

  /**
   * Does some deny filter share a topic with the valid filter `filter` (placeholders substituted)?
   * Exact, with the `$` rule [MQTT-4.7.2-1]: `#` and `$SYS/#` share none.
   */
  denyIntersects(filter: string): boolean {
    return intersectsFrom(this.denyRoot, filter.split('/'), 0);
  }

  /** Adds a valid deny filter (placeholders already substituted). */
  insertDeny(filter: string): void {
    // an allow inserted before would keep a clean mark this deny may contradict
    if (this.size > 0) throw new Error('PermissionTrie: insert denies before allows');
    this.add(filter, DENY_MASK, true);
    this.denies++;
    this.denyFilters.push(filter);
    this.denyKeys = null;
    this.keyDepth = UNBUILT;
  }

  /** Number of deny filters inserted (duplicates included). */
  get denyCount(): number {
    return this.denies;
  }

  private denies = 0;
  private readonly denyFilters: string[] = [];
  /** built on the first check after an insert ({@link buildDenyKeys}) */
  private denyKeys: DenyKeys | null = null;
  /** the first key depth of {@link denyKeys} (-1: every check walks the denies), or UNBUILT */
  private keyDepth = UNBUILT;

  private firstKeyDepth(): number {
    const keys = (this.denyKeys = this.buildDenyKeys());
    return (this.keyDepth = keys.always ? -1 : keys.depths[0]);
  }

  /**
   * Can some deny match the topic, or cover the filter, `s`? A quick necessary test before the deny
   * walk: every deny has a key, one of its literal levels (the one the allows use least at that depth),
   * and a topic a deny matches (a filter it covers) has that very literal at that depth. False: no deny
   * can; true: maybe (a hash collision or a deny without literals only costs the walk).
   */
  private denyMayApply(s: string, from = 0, fromDepth = 0): boolean {
    const keys = this.denyKeys as DenyKeys; // built by the decide method that asks
    if (keys.always) return true;
    const depths = keys.depths;
    let k = 0;
    // start where the allows' walk stopped (`from`, level `fromDepth`) unless a key lies before it
    let depth = depths[0] < fromDepth ? 0 : fromDepth;
    let start = depth === 0 ? 0 : from;
    for (;;) {
      // levels before the next key depth are skipped, not read
      while (depth < depths[k]) {
        const slash = s.indexOf('/', start);
        if (slash === -1) return false; // shorter than every remaining key depth
        start = slash + 1;
        depth++;
      }
      const slash = s.indexOf('/', start);
      const end = slash === -1 ? s.length : slash;
      if (tableHas(keys.tables[k], levelHash(s, start, end))) return true;
      if (++k === depths.length || slash === -1) return false;
      start = slash + 1;
      depth++;
    }
  }

  private buildDenyKeys(): DenyKeys {
    // how many allow trie nodes carry each literal at each depth: the rarer, the better a key
    const uses = new Map<string, number>();
    const stack: [TrieNode, number][] = [[this.root, 0]];
    while (stack.length > 0) {
      const [node, depth] = stack.pop() as [TrieNode, number];
      for (const child of literalChildren(node)) {
        const key = `${depth}/${child.label}`;
        uses.set(key, (uses.get(key) ?? 0) + 1);
        stack.push([child, depth + 1]);
      }
      if (node.plus !== null) stack.push([node.plus, depth + 1]);
    }
    const byDepth = new Map<number, Set<number>>();
    for (const filter of this.denyFilters) {
      const levels = filter.split('/');
      let best = -1;
      let bestUses = Infinity;
      for (let d = 0; d < levels.length; d++) {
        const level = levels[d];
        if (level === '#') break;
        if (level === '+') continue;
        const n = uses.get(`${d}/${level}`) ?? 0;
        if (n <= bestUses) {
          best = d;
          bestUses = n;
        }
      }
      if (best === -1) return { always: true, depths: [], tables: [] }; // a deny of wildcards only
      const set = byDepth.get(best) ?? new Set<number>();
      set.add(levelHash(levels[best], 0, levels[best].length));
      byDepth.set(best, set);
    }
    const depths = [...byDepth.keys()].sort((a, b) => a - b);
    return {
      always: depths.length === 0,
      depths,
      tables: depths.map((d) => hashTable(byDepth.get(d) as Set<number>)),
    };
  }

  private add(filter: string, mask: number, deny: boolean): void {
    const levels = filter.split('/');
    let node = deny ? this.denyRoot : this.root;
    if (deny) node.denyBelow = true;
    for (let i = 0; i < levels.length; i++) {
      const level = levels[i];
      if (level === '#') {
        if (!deny && (node.hash & ANY_MASK) === 0) this.size++;
        node.hash |= mask;
        return;
      }
      node = level === '+' ? (node.plus ??= newNode('+')) : addLiteralChild(node, level);
      if (deny) node.denyBelow = true;
    }
    if (!deny && (node.end & ANY_MASK) === 0) this.size++;
    node.end |= mask;
  }

  /**
   * Does some allow whose mask shares a bit with `want` match `topic`, and no deny match it (SPEC
   * 1.4.1, 1.4.6)? Equal to `matchTopic(topic, want) && !denyMatches(topic)`: the allows' walk ends at
   * the first allow that matches, as matchTopic's does; the denies are walked only when it is not clean.
   */
  decideTopic(topic: string, want: number = ANY_MASK): boolean {
    const dollar = topic.charCodeAt(0) === DOLLAR;
    const keyDepth = this.keyDepth;
    walkKeyDepth = keyDepth === UNBUILT ? this.firstKeyDepth() : keyDepth;
    walkKeyPos = -1;
    const r = decideFrom(this.root, topic, 0, 0, dollar, want, want << CLEAN_SHIFT);
    if (r === FINAL) return true;
    if (r === NONE) return false;
    // the key test starts at the first key level if the walk passed it, else where the walk stopped
    const keyed =
      walkKeyPos !== -1
        ? this.denyMayApply(topic, walkKeyPos, walkKeyDepth)
        : r === ALLOW
          ? this.denyMayApply(topic)
          : this.denyMayApply(topic, r >>> 12, (r >>> 2) & 1023);
    return !keyed || !matchFrom(this.denyRoot, topic, 0, dollar, DENY_MASK);
  }

  /** Does some deny cover the valid filter `filter` (SPEC 1.4.6)? */
  denyCovers(filter: string): boolean {
    return coverFrom(this.denyRoot, filter, 0, true, DENY_MASK, DENY_MASK) !== NONE;
  }

  /** Does some deny match `topic`? (For reasons and tests; checks use {@link decideTopic}.) */
  denyMatches(topic: string): boolean {
    return matchFrom(this.denyRoot, topic, 0, topic.charCodeAt(0) === DOLLAR, DENY_MASK);
  }

  /**
   * Does some filter whose mask shares a bit with `want` match `topic` (SPEC 1.4.1)? `+`/`#` characters
   * in `topic` are plain data.
   */
  matchTopic(topic: string, want: number = ANY_MASK): boolean {
    return matchFrom(this.root, topic, 0, topic.charCodeAt(0) === DOLLAR, want);
  }

  /**
   * Does some filter whose mask shares a bit with `want` cover the valid filter `filter` (SPEC 1.4.3)?
   * Exact, as {@link covers}.
   */
  coverFilter(filter: string, want: number = ANY_MASK): boolean {
    return coverFrom(this.root, filter, 0, true, want, want) !== NONE;
  }

  /**
   * Does some allow whose mask shares a bit with `want` cover `filter` and no deny cover it (SPEC 1.4.3,
   * 1.4.6)? The allows' search ends at the first cover, as coverFilter's does: a clean one settles it;
   * otherwise the denies are asked.
   */
  decideFilter(filter: string, want: number = ANY_MASK): boolean {
    const keyDepth = this.keyDepth;
    walkKeyDepth = keyDepth === UNBUILT ? this.firstKeyDepth() : keyDepth;
    walkKeyPos = -1;
    const r = coverFrom(this.root, filter, 0, true, want, want << CLEAN_SHIFT, true);
    if (r === FINAL) return true;
    if (r === NONE) return false;
    const keyed =
      walkKeyPos !== -1 ? this.denyMayApply(filter, walkKeyPos, walkKeyDepth) : this.denyMayApply(filter);
    return !keyed || !this.denyCovers(filter);
  }
}

/**
 * @param startPos - start of the next unconsumed level of `topic`, or -1 once all levels are consumed
 * @param dollarRoot - at the root, for a topic starting with `$`: `+` and `#` do not apply [MQTT-4.7.2-1]
 */
function matchFrom(
  start: TrieNode,
  topic: string,
  startPos: number,
  dollarRoot: boolean,
  want: number,
): boolean {
  let node = start;
  let pos = startPos;
  let dollar = dollarRoot;
  for (;;) {
    if ((node.hash & want) !== 0 && !dollar) return true; // '#' matches the parent level and anything below
    if (pos === -1) return (node.end & want) !== 0;
    const child = literalChild(node, topic, pos);
    const plus = dollar ? null : node.plus;
    if (child !== undefined) {
      const after = pos + child.label.length;
      const next = after === topic.length ? -1 : after + 1;
      if (plus !== null && matchFrom(child, topic, next, false, want)) return true;
      node = plus ?? child;
      pos = next;
    } else if (plus !== null) {
      node = plus;
      pos = nextLevel(topic, pos);
    } else {
      return false;
    }
    dollar = false;
  }
}

/**
 * Set by {@link PermissionTrie.decideTopic} and `decideFilter` before the walk: the first deny key depth
 * (-1: none); {@link decideFrom} and {@link coverFrom} record where that level of the topic or filter
 * starts when they read it (-1: not read).
 * Module state is safe here: a walk runs to its end synchronously.
 */
let walkKeyDepth = -1;
let walkKeyPos = -1;

const NONE = 0;
/**
 * an allow matched that is not clean: the denies decide. {@link decideFrom} also answers such a match
 * with where it was found, when the topic was not read to its end: `pos << 12 | depth << 2` (≥ 4; pos,
 * the start of the first level not read, < 2^19; depth, the number of levels read, 1 … 1023).
 */
const ALLOW = 1;
/** a clean allow matched: no deny can refuse (has the ALLOW bit) */
const FINAL = 3;

/**
 * {@link matchFrom} that tells the allow it found apart: at the first allow with a `want` bit that
 * matches, FINAL when it (or another filter at that node) is clean, else ALLOW; NONE when none matches.
 * It visits exactly the nodes {@link matchFrom} visits, so a check costs no more than an allow-only
 * match plus, for a non-clean allow, one walk of the (small) deny trie.
 */
function decideFrom(
  start: TrieNode,
  topic: string,
  startPos: number,
  startDepth: number,
  dollarRoot: boolean,
  want: number,
  clean: number,
): number {
  let node = start;
  let pos = startPos;
  let depth = startDepth;
  let dollar = dollarRoot;
  for (;;) {
    const hash = node.hash; // '#' matches the parent level and anything below
    if ((hash & want) !== 0 && !dollar)
      return (hash & clean) !== 0
        ? FINAL
        : depth === 0 || pos === -1 || depth > 1023 || pos >= 1 << 19
          ? ALLOW
          : (pos << 12) | (depth << 2);
    if (pos === -1) {
      const end = node.end;
      return (end & want) === 0 ? NONE : (end & clean) !== 0 ? FINAL : ALLOW;
    }
    const child = literalChild(node, topic, pos);
    const plus = dollar ? null : node.plus;
    if (depth === walkKeyDepth) walkKeyPos = pos; // the same for every path: levels are the topic's
    depth++;
    if (child !== undefined) {
      const after = pos + child.label.length;
      const next = after === topic.length ? -1 : after + 1;
      if (plus !== null) {
        const r = decideFrom(child, topic, next, depth, false, want, clean);
        if (r !== NONE) return r;
      }
      node = plus ?? child;
      pos = next;
    } else if (plus !== null) {
      node = plus;
      pos = nextLevel(topic, pos);
    } else {
      return NONE;
    }
    dollar = false;
  }
}

/**
 * @param startPos - start of the next unconsumed level of `filter`, or -1 once all levels are consumed
 * @param atRoot - whether `start` is the root (the '$' rule and the lone-'#' equivalence apply there)
 * @param want - the bits a covering filter must have
 * @param final - the bits that end the search (`want`: the first cover; clean bits: the first clean one)
 * @param first - end at the first cover found: FINAL when it has a `final` bit, else ALLOW
 * @returns FINAL when a covering filter with a `final` bit was found, ALLOW when only others were, NONE
 */
function coverFrom(
  start: TrieNode,
  filter: string,
  startPos: number,
  atRoot: boolean,
  want: number,
  final: number,
  first = false,
  startDepth = 0,
): number {
  let node = start;
  let pos = startPos;
  let depth = startDepth;
  let root = atRoot;
  let best = NONE;
  for (;;) {
    const dollarRoot = root && filter.charCodeAt(0) === DOLLAR; // a literal first level starting with '$'
    if (!dollarRoot) {
      best = grade(node.hash, want, final, best); // held 'prefix/#' covers any continuation of the prefix
      if (best === FINAL || (first && best === ALLOW)) return best;
    }
    if (pos === -1) return grade(node.end, want, final, best);
    const c = filter.charCodeAt(pos);
    if ((c === HASH || c === PLUS) && (pos + 1 === filter.length || filter.charCodeAt(pos + 1) === SLASH)) {
      // Requested '#' also matches the parent level, which only a held '#' here covers (checked above),
      // except for a lone '#', which matches exactly what '+/#' matches.
      if (c === HASH) return root && node.plus !== null ? grade(node.plus.hash, want, final, best) : best;
      // Requested '+' (any value, incl. the empty level) is covered only by a held '+'.
      if (node.plus === null) return best;
      if (first && depth === walkKeyDepth) walkKeyPos = pos; // the decide path only (coverFilter: none)
      depth++;
      node = node.plus;
      pos = pos + 1 === filter.length ? -1 : pos + 2;
      root = false;
      continue;
    }
    const child = literalChild(node, filter, pos);
    const plus = dollarRoot ? null : node.plus;
    if (first && depth === walkKeyDepth) walkKeyPos = pos; // same on every path: the filter's levels
    depth++;
    if (child !== undefined) {
      const after = pos + child.label.length;
      const next = after === filter.length ? -1 : after + 1;
      if (plus !== null) {
        const r = coverFrom(child, filter, next, false, want, final, first, depth);
        if (r === FINAL || (first && r === ALLOW)) return r;
        if (r === ALLOW) best = ALLOW;
      }
      node = plus ?? child;
      pos = next;
    } else if (plus !== null) {
      node = plus;
      pos = nextLevel(filter, pos);
    } else {
      return best;
    }
    root = false;
  }
}

/** How a filter's mask answers a cover search: FINAL, ALLOW, or what was found before. */
function grade(mask: number, want: number, final: number, best: number): number {
  return (mask & final) !== 0 ? FINAL : (mask & want) !== 0 ? ALLOW : best;
}

/**
 * Whether a deny below `node` (depth `i`) shares a topic with the filter levels `levels[i..]`.
 * `+`/`#` of the filter follow every branch that holds a deny; a literal follows its literal child and
 * the `+` child. At the first level, `+`, `#` and a `$` literal never meet [MQTT-4.7.2-1].
 */
function intersectsFrom(node: TrieNode, levels: readonly string[], i: number): boolean {
  if (!node.denyBelow) return false;
  const level = i < levels.length ? levels[i] : undefined;
  const dollarFirst = i === 0 && level !== undefined && level.charCodeAt(0) === DOLLAR;
  // a deny 'prefix/#' matches the prefix and everything below, whatever the filter asks there
  if ((node.hash & DENY_MASK) !== 0 && !dollarFirst) return true;
  if (level === undefined) return (node.end & DENY_MASK) !== 0;
  if (level === '#' || level === '+') {
    // '#' also matches the parent level (this node's topic)
    if (level === '#' && i > 0 && (node.end & DENY_MASK) !== 0) return true;
    const next = level === '#' ? -1 : i + 1;
    for (const child of literalChildren(node)) {
      if (i === 0 && child.label.charCodeAt(0) === DOLLAR) continue;
      if (next === -1 ? child.denyBelow : intersectsFrom(child, levels, next)) return true;
    }
    const plus = node.plus;
    return plus !== null && (next === -1 ? plus.denyBelow : intersectsFrom(plus, levels, next));
  }
  const child = literalChild(node, level, 0);
  if (child !== undefined && intersectsFrom(child, levels, i + 1)) return true;
  return !dollarFirst && node.plus !== null && intersectsFrom(node.plus, levels, i + 1);
}

/** The literal children of a node. */
function literalChildren(node: TrieNode): readonly TrieNode[] {
  if (node.small !== null) return node.small;
  if (node.wide === null) return [];
  return node.wide.filter((c): c is TrieNode => c !== null);
}
