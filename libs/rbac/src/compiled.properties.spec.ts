/**
 * Property tests of the compiled matcher (SPEC 1.4.2–1.4.5) against plain references: 10,000 runs each
 * over generated (rule set, principal, request) triples from tiny alphabets.
 */
import fc from 'fast-check';
import { CompiledPermissions } from './compiled-permissions';
import { denyingRules, grantingRules } from './granting-rules';
import type { AccessKind, PermissionRule } from './permission.types';
import { covers } from './topic-matching';
import {
  filterArb,
  httpRuleArb,
  httpTargetArb,
  methodArb,
  operationArb,
  rulesArb,
  topicArb,
  topicMatchedBy,
  varsArb,
} from './testing/arbitraries';
import { refHttpAllows, refMqttAllows, refSubstitute, refSubstituteDeny } from './testing/reference';

const RUNS = { numRuns: 10_000 } as const;
const accessArb = fc.constantFrom<AccessKind>('read', 'write');

/** A topic drawn from the same alphabet, or built from one of the rules so that hits are frequent. */
function topicFor(rules: readonly PermissionRule[]): fc.Arbitrary<string> {
  const mqttResources = rules.filter((r) => r.context === 'mqtt').map((r) => r.resource);
  if (mqttResources.length === 0) return topicArb;
  return fc.oneof(
    topicArb,
    fc
      .constantFrom(...mqttResources)
      .chain((resource) => topicMatchedBy(resource.split('/').map((l) => (l.startsWith('${') ? '+' : l)))),
  );
}

const scenario = fc
  .tuple(rulesArb, varsArb)
  .chain(([rules, vars]) =>
    fc.tuple(fc.constant(rules), fc.constant(vars), topicFor(rules), filterArb, accessArb),
  );

describe('CompiledPermissions: properties', () => {
  it('canPublish / canReceive agree with the reference matcher (placeholders included)', () => {
    fc.assert(
      fc.property(scenario, ([rules, vars, topic]) => {
        const compiled = CompiledPermissions.compile(rules, vars);
        return (
          compiled.canPublish(topic) === refMqttAllows(rules, vars, 'write', topic) &&
          compiled.canReceive(topic) === refMqttAllows(rules, vars, 'read', topic)
        );
      }),
      RUNS,
    );
  });

  it('agrees with the reference on wide nodes (> 8 siblings) and colliding level hashes', () => {
    // 'Aa'/'BB' and 'AaAa'/'AaBB'/'BBAa'/'BBBB' collide under the trie's polynomial level hash.
    const level = fc.constantFrom(
      ...Array.from({ length: 12 }, (_, i) => `k${i}`),
      'Aa',
      'BB',
      'AaAa',
      'AaBB',
      'BBAa',
      'BBBB',
      '',
      '+',
    );
    const filterLevels = fc
      .tuple(fc.array(level, { minLength: 1, maxLength: 3 }), fc.boolean())
      .map(([ls, hash]) => (hash ? [...ls, '#'] : ls))
      .filter((ls) => ls.join('/') !== '');
    const rule = fc.record({
      context: fc.constant('mqtt' as const),
      resource: filterLevels.map((ls) => ls.join('/')),
      operation: operationArb,
      effect: fc.constantFrom<PermissionRule['effect']>(undefined, undefined, 'deny'),
    });
    const topic = fc
      .array(
        level.filter((l) => l !== '+'),
        { minLength: 1, maxLength: 4 },
      )
      .map((ls) => ls.join('/'));
    const arb = fc.tuple(fc.array(rule, { minLength: 10, maxLength: 40 }), topic, filterLevels);
    const vars = { username: 'u' };
    fc.assert(
      fc.property(arb, ([rules, t, f]) => {
        const compiled = CompiledPermissions.compile(rules, vars);
        const filter = f.join('/');
        const reads = rules.filter((r) => r.operation !== 'write');
        const subscribe =
          reads.some((r) => r.effect !== 'deny' && covers(r.resource, filter)) &&
          !reads.some((r) => r.effect === 'deny' && covers(r.resource, filter));
        return (
          compiled.canPublish(t) === refMqttAllows(rules, vars, 'write', t) &&
          compiled.canReceive(t) === refMqttAllows(rules, vars, 'read', t) &&
          compiled.canSubscribe(filter) === subscribe
        );
      }),
      RUNS,
    );
  });

  it('canSubscribe(f) ⇔ some mqtt read allow covers f and no mqtt read deny covers it (after substitution)', () => {
    fc.assert(
      fc.property(scenario, ([rules, vars, , filter]) => {
        const compiled = CompiledPermissions.compile(rules, vars);
        const reads = rules.filter((r) => r.context === 'mqtt' && r.operation !== 'write');
        const allowed = reads.some((r) => {
          if (r.effect === 'deny') return false;
          const f = refSubstitute(r.resource, vars);
          return f !== null && covers(f, filter);
        });
        const denied = reads.some(
          (r) => r.effect === 'deny' && covers(refSubstituteDeny(r.resource, vars), filter),
        );
        return compiled.canSubscribe(filter) === (allowed && !denied);
      }),
      RUNS,
    );
  });

  it('canPublish with QoS and retain agrees with the reference (SPEC 1.4.7), and publishRefusal with it', () => {
    const arb = scenario.chain((s) =>
      fc.tuple(fc.constant(s), fc.constantFrom(0, 1, 2, 3, -1), fc.boolean()),
    );
    fc.assert(
      fc.property(arb, ([[rules, vars, topic], qos, retain]) => {
        const compiled = CompiledPermissions.compile(rules, vars);
        const expected = refMqttAllows(rules, vars, 'write', topic, { qos, retain });
        return (
          compiled.canPublish(topic, qos, retain) === expected &&
          (compiled.publishRefusal(topic, qos, retain) === null) === expected &&
          compiled.allows('mqtt', 'write', topic, { qos, retain }) === expected
        );
      }),
      RUNS,
    );
  });

  it('a deny names why: denied before no-allow before limits', () => {
    const compiled = CompiledPermissions.compile(
      [
        { context: 'mqtt', resource: 'plant/#', operation: 'write', maxQos: 1, retain: false },
        { context: 'mqtt', resource: 'plant/secret/#', operation: 'write', effect: 'deny' },
      ],
      { username: 'u' },
    );
    expect(compiled.publishRefusal('plant/secret/x', 0, false)).toBe('denied');
    expect(compiled.publishRefusal('other', 0, false)).toBe('no-allow');
    expect(compiled.publishRefusal('plant/a', 2, false)).toBe('limits');
    expect(compiled.publishRefusal('plant/a', 1, true)).toBe('limits');
    expect(compiled.publishRefusal('plant/a', 1, false)).toBeNull();
    expect(compiled.publishRefusal('plant/+', 0, false)).toBe('invalid');
  });

  it('canHttp agrees with the reference (method mapping, query stripping, matching)', () => {
    const arb = fc.tuple(fc.array(httpRuleArb, { maxLength: 6 }), methodArb, httpTargetArb);
    fc.assert(
      fc.property(arb, ([rules, method, target]) => {
        const compiled = CompiledPermissions.compile(rules, { username: 'u' });
        return compiled.canHttp(method, target) === refHttpAllows(rules, method, target);
      }),
      RUNS,
    );
  });

  it('grantingRules is non-empty and denyingRules empty ⇔ allows (mqtt and http, topics, filters and paths)', () => {
    const resource = fc.oneof(topicArb, filterArb, httpTargetArb);
    const arb = fc.tuple(
      rulesArb,
      varsArb,
      fc.constantFrom('mqtt' as const, 'http' as const),
      accessArb,
      resource,
    );
    fc.assert(
      fc.property(arb, ([rules, vars, context, access, res]) => {
        const compiled = CompiledPermissions.compile(rules, vars);
        const granted = grantingRules(rules, context, access, res, vars);
        const denied = denyingRules(rules, context, access, res, vars);
        return (
          (granted.length > 0 && denied.length === 0) === compiled.allows(context, access, res) &&
          granted.every((r) => rules.includes(r) && r.effect !== 'deny') &&
          denied.every((r) => rules.includes(r) && r.effect === 'deny')
        );
      }),
      RUNS,
    );
  });
});
