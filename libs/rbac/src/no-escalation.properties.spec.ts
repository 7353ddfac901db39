/**
 * Issue 9 defect 4, property tests of the no-escalation rule (SPEC 2.2) with generated grantor and
 * grantee permission sets, judged by the reference matcher (testing/reference.ts) with substitution:
 * - sound: whenever the rule lets a grantor hand rules to a grantee, every sampled topic, operation and
 *   client id the grantee can then use, the grantor can use too (its own name, no client id);
 * - not obtuse: grants that are plainly covered (a held rule, narrowed) are never refused.
 */
import fc from 'fast-check';
import { ANY_USER, GrantorAccess, type Grantee } from './no-escalation';
import { accessKindsOf, type AccessKind, type PermissionRule } from './permission.types';
import {
  FILTER_LITERALS,
  TOPIC_LEVELS,
  httpRuleArb,
  httpTargetArb,
  methodArb,
  mqttRuleArb,
  operationArb,
  topicArb,
  topicMatchedBy,
} from './testing/arbitraries';
import { refHttpAllows, refMqttAllows, refSubstitute } from './testing/reference';

const RUNS = { numRuns: 5_000 } as const;
const accessArb = fc.constantFrom<AccessKind>('read', 'write');

/** Names that collide with topic levels (and, for grantees, some that must fail closed). */
const grantorNameArb = fc.constantFrom('a', 'b', 'c');
const granteeNameArb = fc.oneof(
  { weight: 8, arbitrary: fc.constantFrom('a', 'b', 'c') },
  { weight: 1, arbitrary: fc.constantFrom('$x', 'a+b', '') },
);
/** Client ids a grantee might pick: colliding, `$`, and ones that fail closed. */
const clientIdArb = fc.constantFrom('a', 'b', 'c', '$x', '', 'a+b', 'a/b', undefined);

const ruleArb = fc.oneof({ weight: 3, arbitrary: mqttRuleArb }, { weight: 1, arbitrary: httpRuleArb });
const heldArb = fc.array(ruleArb, { minLength: 0, maxLength: 6 });

/**
 * A rule plainly covered by `held` (as grantor `grantor`, to grantee `grantee`): a held rule read with
 * the grantor's name, then narrowed: `+` to a literal, the grantee's `${clientId}` or `${username}`
 * (when that name is a level the `+` matches); a trailing `#` dropped, or to levels; the operation
 * to one it implies.
 */
function narrowedFrom(held: PermissionRule, grantor: string, grantee: string): fc.Arbitrary<PermissionRule> {
  const resource =
    held.context === 'mqtt' ? refSubstitute(held.resource, { username: grantor }) : held.resource;
  if (resource === null) return fc.constant(held); // not used: callers filter these out
  const levels = resource.split('/');
  const level = (l: string, i: number): fc.Arbitrary<string[]> => {
    const isFirst = i === 0 || (held.context === 'http' && i === 1);
    if (l === '+') {
      const options: fc.Arbitrary<string[]>[] = [
        fc.constant(['+']),
        fc.constantFrom(...FILTER_LITERALS.filter((x) => !(isFirst && x.startsWith('$')))).map((x) => [x]),
      ];
      if (held.context === 'mqtt') {
        options.push(fc.constant(['${clientId}']));
        if (!(isFirst && grantee.startsWith('$'))) options.push(fc.constant(['${username}']));
      }
      return fc.oneof(...options);
    }
    if (l === '#') {
      const options: fc.Arbitrary<string[]>[] = [
        fc.constant(['#']),
        fc.array(fc.constantFrom(...FILTER_LITERALS, '+'), { minLength: 1, maxLength: 2 }),
        fc
          .array(fc.constantFrom(...FILTER_LITERALS, '+'), { minLength: 1, maxLength: 2 })
          .map((x) => [...x, '#']),
      ];
      if (levels.length > 1) options.push(fc.constant([])); // `a/#` covers `a`
      return fc.oneof(...options);
    }
    if (held.context === 'mqtt' && l === grantee) return fc.constantFrom([l], ['${username}']);
    return fc.constant([l]);
  };
  return fc
    .tuple(fc.tuple(...levels.map(level)), fc.constantFrom(...accessKindsOf(held.operation), held.operation))
    .map(([parts, operation]) => {
      let narrowed = parts.flat();
      // A '$' first level under a held '+'/'#' is not covered [MQTT-4.7.2-1]; a lone '' is no filter.
      const first = narrowed[0];
      if (held.context === 'mqtt' && first?.startsWith('$') && !first.startsWith('${') && first !== levels[0])
        narrowed = ['+', ...narrowed.slice(1)];
      if (narrowed.length === 0 || (narrowed.length === 1 && narrowed[0] === '')) narrowed = levels;
      const joined = narrowed.join('/');
      return {
        context: held.context,
        resource: held.context === 'http' && !joined.startsWith('/') ? `/${joined}` : joined,
        operation,
      };
    });
}

/** What a principal can do at one sample point, by the reference matcher. */
interface Sample {
  access: AccessKind;
  topic: string;
  clientId: string | undefined;
  method: string;
  path: string;
}

/** Topics the wanted rules match as the grantee holds them (so that hits are frequent), and others. */
function samplesFor(wanted: readonly PermissionRule[], grantee: string): fc.Arbitrary<Sample[]> {
  const sample = clientIdArb.chain((clientId) => {
    const targets = wanted
      .filter((r) => r.context === 'mqtt')
      .map((r) =>
        refSubstitute(r.resource, { username: grantee, ...(clientId !== undefined ? { clientId } : {}) }),
      )
      .filter((r): r is string => r !== null);
    const paths = wanted.filter((r) => r.context === 'http').map((r) => r.resource);
    const topic = targets.length
      ? fc.oneof(
          topicArb,
          fc.constantFrom(...targets).chain((t) => topicMatchedBy(t.split('/'))),
        )
      : topicArb;
    const path = paths.length
      ? fc.oneof(
          httpTargetArb,
          fc.constantFrom(...paths).chain((p) => topicMatchedBy(p.split('/'))),
        )
      : httpTargetArb;
    return fc.record({
      access: accessArb,
      topic,
      clientId: fc.constant(clientId),
      method: methodArb,
      path,
    });
  });
  return fc.array(sample, { minLength: 1, maxLength: 8 });
}

/** Whether the grantee's use at `s` is also the grantor's: false is an escalation. */
function grantorCanToo(
  s: Sample,
  wanted: readonly PermissionRule[],
  held: readonly PermissionRule[],
  grantee: string,
  grantor: string,
): boolean {
  const granteeVars = { username: grantee, ...(s.clientId !== undefined ? { clientId: s.clientId } : {}) };
  const mqttOk =
    !refMqttAllows(wanted, granteeVars, s.access, s.topic) ||
    refMqttAllows(held, { username: grantor }, s.access, s.topic);
  const httpOk = !refHttpAllows(wanted, s.method, s.path) || refHttpAllows(held, s.method, s.path);
  return mqttOk && httpOk;
}

describe('no escalation (SPEC 2.2): properties over generated grantor and grantee sets', () => {
  it('is sound: whatever the rule lets the grantee do, the grantor can do too (users and roles)', () => {
    const arb = fc
      .tuple(heldArb, grantorNameArb, granteeNameArb, fc.boolean())
      .chain(([held, grantor, grantee, toRole]) => {
        const usable = held.filter(
          (h) => h.context === 'http' || refSubstitute(h.resource, { username: grantor }) !== null,
        );
        // Half the wanted rules are narrowed from held ones (often covered), half are arbitrary.
        const wantedRule = usable.length
          ? fc.oneof(
              ruleArb,
              fc.constantFrom(...usable).chain((h) => narrowedFrom(h, grantor, grantee)),
              fc.constantFrom(...held),
            )
          : ruleArb;
        return fc
          .array(wantedRule, { minLength: 1, maxLength: 3 })
          .chain((wanted) =>
            fc.tuple(
              fc.constant(held),
              fc.constant(grantor),
              fc.constant(grantee),
              fc.constant(toRole),
              fc.constant(wanted),
              samplesFor(wanted, grantee),
            ),
          );
      });
    let allowed = 0;
    let granteeUses = 0;
    fc.assert(
      fc.property(arb, ([held, grantor, grantee, toRole, wanted, samples]) => {
        const to: Grantee = toRole ? ANY_USER : { username: grantee };
        if (GrantorAccess.of(held, grantor).firstUncovered(wanted, to) !== undefined) return true;
        allowed++;
        for (const s of samples) {
          const vars = { username: grantee, ...(s.clientId !== undefined ? { clientId: s.clientId } : {}) };
          if (refMqttAllows(wanted, vars, s.access, s.topic)) granteeUses++;
          if (!grantorCanToo(s, wanted, held, grantee, grantor)) return false;
        }
        return true;
      }),
      RUNS,
    );
    // The property must not hold vacuously.
    expect(allowed).toBeGreaterThan(1_000);
    expect(granteeUses).toBeGreaterThan(1_000);
  });

  it('does not refuse plainly covered grants: a held rule, read with the grantor’s name, narrowed', () => {
    const arb = fc
      .tuple(heldArb, grantorNameArb, fc.constantFrom('a', 'b', 'c'))
      .chain(([held, grantor, grantee]) => {
        const usable = held.filter(
          (h) => h.context === 'http' || refSubstitute(h.resource, { username: grantor }) !== null,
        );
        if (usable.length === 0) return fc.constant(null);
        return fc
          .constantFrom(...usable)
          .chain((h) => narrowedFrom(h, grantor, grantee))
          .map((wanted) => ({ held, grantor, grantee, wanted }));
      });
    let checked = 0;
    fc.assert(
      fc.property(arb, (c) => {
        if (c === null) return true;
        checked++;
        return GrantorAccess.of(c.held, c.grantor).covers(c.wanted, { username: c.grantee });
      }),
      RUNS,
    );
    expect(checked).toBeGreaterThan(3_000);
  });

  it('hands oneself nothing new: every valid held rule without ${clientId} is covered to oneself', () => {
    fc.assert(
      fc.property(heldArb, grantorNameArb, (held, name) => {
        const access = GrantorAccess.of(held, name);
        return held
          .filter((h) => !h.resource.includes('${clientId}'))
          .every((h) => access.covers(h, { username: name }));
      }),
      RUNS,
    );
  });

  it('a role (any user) is never easier to fill than a named user', () => {
    fc.assert(
      fc.property(
        heldArb,
        mqttRuleArb,
        grantorNameArb,
        granteeNameArb,
        operationArb,
        (held, wanted, grantor, grantee, operation) => {
          const w = { ...wanted, operation };
          const access = GrantorAccess.of(held, grantor);
          return !access.covers(w, ANY_USER) || access.covers(w, { username: grantee });
        },
      ),
      RUNS,
    );
  });

  it('uses topic levels the generators share (sanity of the alphabets)', () => {
    expect(TOPIC_LEVELS).toEqual(expect.arrayContaining(['a', 'b', 'c']));
  });
});
