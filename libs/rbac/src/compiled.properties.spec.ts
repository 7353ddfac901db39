/**
 * Property tests of the compiled matcher (SPEC 1.4.2–1.4.5) against plain references: 10,000 runs each
 * over generated (rule set, principal, request) triples from tiny alphabets.
 */
import fc from 'fast-check';
import { CompiledPermissions } from './compiled-permissions';
import { grantingRules } from './granting-rules';
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
import { refHttpAllows, refMqttAllows, refSubstitute } from './testing/reference';

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
        const subscribe = rules.some((r) => r.operation !== 'write' && covers(r.resource, filter));
        return (
          compiled.canPublish(t) === refMqttAllows(rules, vars, 'write', t) &&
          compiled.canReceive(t) === refMqttAllows(rules, vars, 'read', t) &&
          compiled.canSubscribe(filter) === subscribe
        );
      }),
      RUNS,
    );
  });

  it('canSubscribe(f) ⇔ some mqtt read rule (after substitution) covers f', () => {
    fc.assert(
      fc.property(scenario, ([rules, vars, , filter]) => {
        const compiled = CompiledPermissions.compile(rules, vars);
        const expected = rules.some((r) => {
          if (r.context !== 'mqtt' || r.operation === 'write') return false;
          const f = refSubstitute(r.resource, vars);
          return f !== null && covers(f, filter);
        });
        return compiled.canSubscribe(filter) === expected;
      }),
      RUNS,
    );
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

  it('grantingRules is non-empty ⇔ allows (mqtt and http, topics, filters and paths)', () => {
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
        return (
          granted.length > 0 === compiled.allows(context, access, res) &&
          granted.every((r) => rules.includes(r))
        );
      }),
      RUNS,
    );
  });
});
