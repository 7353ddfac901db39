/**
 * Issue 9 defect 4, property tests of the no-escalation rule (SPEC 2.2) with generated grantor and
 * grantee permission sets, judged by the reference matcher (testing/reference.ts) with substitution,
 * denies and QoS/retain limits (issue 11, SPEC 1.4.6-7):
 * - sound: whenever the rule lets a grantor hand rules to a grantee, every sampled topic, operation,
 *   QoS, retain flag and client id the grantee can then use, the grantor can use too (its own name, a
 *   client id no topic uses);
 * - sound for removals: whatever a change that removes denies (and adds rules) lets the grantee do that
 *   it could not do before, the grantor can do, also when a role's members hold further allows;
 * - not obtuse: grants that are plainly covered (a held rule, narrowed) are never refused.
 */
import fc from 'fast-check';
import { ANY_USER, GrantorAccess, type Grantee } from './no-escalation';
import { accessKindsOf, type AccessKind, type PermissionRule } from './permission.types';
import {
  FILTER_LITERALS,
  TOPIC_LEVELS,
  httpAllowArb,
  httpRuleArb,
  mqttAllowArb,
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

/** The grantor's client id in the reference: a level no generated topic uses. */
const GRANTOR_CLIENT_ID = 'zz';

const ruleArb = fc.oneof({ weight: 3, arbitrary: mqttRuleArb }, { weight: 1, arbitrary: httpRuleArb });
const heldArb = fc.array(ruleArb, { minLength: 0, maxLength: 6 });
const allowArb = fc.oneof({ weight: 3, arbitrary: mqttAllowArb }, { weight: 1, arbitrary: httpAllowArb });

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
      const limits =
        operation === 'read'
          ? {}
          : {
              ...(held.maxQos !== undefined ? { maxQos: held.maxQos } : {}),
              ...(held.retain !== undefined ? { retain: held.retain } : {}),
            };
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
        ...(held.effect !== undefined ? { effect: held.effect } : {}),
        ...limits,
      };
    });
}

/** What a principal can do at one sample point, by the reference matcher. */
interface Sample {
  access: AccessKind;
  topic: string;
  /** QoS and retain flag of a PUBLISH (for write) */
  publish: { qos: number; retain: boolean };
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
      publish: fc.record({ qos: fc.constantFrom(0, 1, 2), retain: fc.boolean() }),
      clientId: fc.constant(clientId),
      method: methodArb,
      path,
    });
  });
  return fc.array(sample, { minLength: 1, maxLength: 8 });
}

/** Whether `rules` (held by `username`) let a principal do `s`, by the reference. */
function canAt(s: Sample, rules: readonly PermissionRule[], username: string, clientId: string | undefined) {
  const vars = { username, ...(clientId !== undefined ? { clientId } : {}) };
  return {
    mqtt: refMqttAllows(rules, vars, s.access, s.topic, s.publish),
    http: refHttpAllows(rules, s.method, s.path),
  };
}

/** Whether the grantee's use at `s` is also the grantor's: false is an escalation. */
function grantorCanToo(
  s: Sample,
  wanted: readonly PermissionRule[],
  held: readonly PermissionRule[],
  grantee: string,
  grantor: string,
): boolean {
  const g = canAt(s, wanted, grantee, s.clientId);
  const h = canAt(s, held, grantor, GRANTOR_CLIENT_ID);
  return (!g.mqtt || h.mqtt) && (!g.http || h.http);
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
          if (canAt(s, wanted, grantee, s.clientId).mqtt) granteeUses++;
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
      .tuple(fc.array(allowArb, { maxLength: 6 }), grantorNameArb, fc.constantFrom('a', 'b', 'c'))
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

  it('does not refuse a held allow narrowed when the grantee also gets the grantor’s denies', () => {
    const arb = fc
      .tuple(
        fc.array(allowArb, { minLength: 1, maxLength: 4 }),
        heldArb,
        grantorNameArb,
        fc.constantFrom('a', 'b', 'c'),
      )
      .chain(([allows, others, grantor, grantee]) => {
        const denies = others
          .filter((r) => r.effect === 'deny' && !r.resource.includes('${clientId}'))
          .map((r) => ({
            ...r,
            resource: r.resource
              .split('/')
              .map((l) => (l === '${username}' ? grantor : l))
              .join('/'),
          }));
        const usable = allows.filter(
          (h) => h.context === 'http' || refSubstitute(h.resource, { username: grantor }) !== null,
        );
        if (usable.length === 0) return fc.constant(null);
        return fc
          .constantFrom(...usable)
          .chain((h) => narrowedFrom(h, grantor, grantee))
          .map((wanted) => ({ held: [...allows, ...denies], grantor, grantee, wanted: [wanted, ...denies] }));
      });
    let checked = 0;
    fc.assert(
      fc.property(arb, (c) => {
        if (c === null) return true;
        checked++;
        return (
          GrantorAccess.of(c.held, c.grantor).firstUncovered(c.wanted, { username: c.grantee }) === undefined
        );
      }),
      RUNS,
    );
    expect(checked).toBeGreaterThan(3_000);
  });

  it('hands oneself nothing new: every valid held rule without ${clientId} is covered to oneself', () => {
    fc.assert(
      fc.property(heldArb, grantorNameArb, (held, name) => {
        const own = held.filter((h) => !h.resource.includes('${clientId}'));
        return GrantorAccess.of(held, name).firstUncovered(own, { username: name }) === undefined;
      }),
      RUNS,
    );
  });

  it('is sound for removed denies: what the grantee gains, the grantor can do (users; roles whose members hold more)', () => {
    const arb = fc
      .tuple(heldArb, grantorNameArb, granteeNameArb, fc.boolean())
      .chain(([held, grantor, grantee, toRole]) =>
        fc.tuple(
          fc.constant(held),
          fc.constant(grantor),
          fc.constant(grantee),
          fc.constant(toRole),
          // before the change: some allows (often held ones) and denies
          fc.array(fc.oneof(ruleArb, ...(held.length ? [fc.constantFrom(...held)] : [])), { maxLength: 5 }),
          // what the change adds
          fc.array(fc.oneof(ruleArb, ...(held.length ? [fc.constantFrom(...held)] : [])), { maxLength: 2 }),
          // which of the denies before it removes
          fc.array(fc.boolean(), { minLength: 5, maxLength: 5 }),
          // allows a role's members hold elsewhere
          fc.array(allowArb, { maxLength: toRole ? 2 : 0 }),
        ),
      )
      .chain((t) => {
        const [, , grantee, , before, added, removeMask] = t;
        const after = [...before.filter((r, i) => r.effect !== 'deny' || !removeMask[i]), ...added];
        return fc.tuple(fc.constant(t), fc.constant(after), samplesFor([...before, ...added], grantee));
      });
    let allowedChanges = 0;
    let gains = 0;
    fc.assert(
      fc.property(
        arb,
        ([[held, grantor, grantee, toRole, before, added, removeMask, elsewhere], after, samples]) => {
          const removedDenies = before.filter((r, i) => r.effect === 'deny' && removeMask[i]);
          const to: Grantee = toRole ? ANY_USER : { username: grantee };
          const found = GrantorAccess.of(held, grantor).firstEscalation(
            { added, removedDenies, after, afterIsComplete: !toRole },
            to,
          );
          if (found !== undefined) return true;
          allowedChanges++;
          for (const s of samples) {
            const was = canAt(s, [...before, ...elsewhere], grantee, s.clientId);
            const now = canAt(s, [...after, ...elsewhere], grantee, s.clientId);
            const h = canAt(s, held, grantor, GRANTOR_CLIENT_ID);
            if (now.mqtt && !was.mqtt) gains++;
            if ((now.mqtt && !was.mqtt && !h.mqtt) || (now.http && !was.http && !h.http)) return false;
          }
          return true;
        },
      ),
      RUNS,
    );
    expect(allowedChanges).toBeGreaterThan(1_000);
    expect(gains).toBeGreaterThan(200);
  });

  it('QoS and retain limits: a grantee with maxQos 2 where the grantor has maxQos 0 is escalation', () => {
    const grantor = GrantorAccess.of(
      [{ context: 'mqtt', resource: 'plant/#', operation: 'write', maxQos: 0 }],
      'boss',
    );
    const to = { username: 'dev' };
    expect(grantor.covers({ context: 'mqtt', resource: 'plant/a', operation: 'write', maxQos: 2 }, to)).toBe(
      false,
    );
    expect(grantor.covers({ context: 'mqtt', resource: 'plant/a', operation: 'write' }, to)).toBe(false);
    expect(grantor.covers({ context: 'mqtt', resource: 'plant/a', operation: 'write', maxQos: 0 }, to)).toBe(
      true,
    );
    expect(
      grantor.covers({ context: 'mqtt', resource: 'plant/a', operation: 'readWrite', maxQos: 0 }, to),
    ).toBe(false); // no read held
    const noRetain = GrantorAccess.of(
      [{ context: 'mqtt', resource: '#', operation: 'write', retain: false }],
      'boss',
    );
    expect(noRetain.covers({ context: 'mqtt', resource: 'a', operation: 'write' }, to)).toBe(false);
    expect(noRetain.covers({ context: 'mqtt', resource: 'a', operation: 'write', retain: false }, to)).toBe(
      true,
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
          const { maxQos: _q, retain: _r, ...unlimited } = wanted;
          const w = operation === 'read' ? { ...unlimited, operation } : { ...wanted, operation };
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
