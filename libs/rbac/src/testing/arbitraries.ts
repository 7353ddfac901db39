/**
 * fast-check generators biased to tiny alphabets, so that filters, topics and rules collide often:
 * empty levels, `$` levels, wildcards and placeholders all show up in most runs.
 */
import fc from 'fast-check';
import type { PermissionOperation, PermissionRule, PrincipalVars } from '../permission.types';

/** Literal levels filters may use. `$x` exercises the `$` rule, `''` empty levels. */
export const FILTER_LITERALS = ['a', 'b', '', '$x'] as const;
/** Topic levels: the filter literals plus a fresh one no filter names. */
export const TOPIC_LEVELS = ['a', 'b', '', '$x', 'c'] as const;

const literal = fc.constantFrom(...FILTER_LITERALS);
const filterLevel = fc.oneof({ weight: 3, arbitrary: literal }, { weight: 1, arbitrary: fc.constant('+') });

/** A valid MQTT topic filter as level array (1..5 levels, optional trailing `#`). */
export const filterLevelsArb: fc.Arbitrary<string[]> = fc
  .tuple(fc.array(filterLevel, { minLength: 0, maxLength: 4 }), fc.boolean())
  .map(([levels, hash]) => (hash || levels.length === 0 ? [...levels, '#'] : levels))
  .map((levels) => (levels.length === 1 && levels[0] === '' ? ['', ''] : levels)); // '' is not a filter

/** A valid MQTT topic filter. */
export const filterArb: fc.Arbitrary<string> = filterLevelsArb.map((l) => l.join('/'));

/** A topic (may be `''`, i.e. one empty level, which is not a valid topic name). */
export const topicArb: fc.Arbitrary<string> = fc
  .array(fc.constantFrom(...TOPIC_LEVELS), { minLength: 1, maxLength: 5 })
  .map((l) => l.join('/'));

/** A topic the filter matches (ignoring the `$` rule), built by instantiating its wildcards. */
export function topicMatchedBy(levels: readonly string[]): fc.Arbitrary<string> {
  const parts = levels.map((level) => {
    if (level === '+') return fc.constantFrom(...TOPIC_LEVELS).map((l) => [l]);
    if (level === '#') return fc.array(fc.constantFrom(...TOPIC_LEVELS), { minLength: 0, maxLength: 2 });
    return fc.constant([level]);
  });
  return fc.tuple(...parts).map((chunks) => {
    const flat = chunks.flat();
    return flat.length === 0 ? TOPIC_LEVELS[0] : flat.join('/');
  });
}

/** A filter and a topic, half of the time one the filter matches. */
export const filterAndTopicArb: fc.Arbitrary<[string, string]> = filterLevelsArb.chain((levels) =>
  fc.tuple(fc.constant(levels.join('/')), fc.oneof(topicMatchedBy(levels), topicArb)),
);

const mqttResourceLevel = fc.oneof(
  { weight: 6, arbitrary: filterLevel },
  { weight: 1, arbitrary: fc.constantFrom('${username}', '${clientId}') },
);

/** A valid mqtt permission resource, placeholders included. */
export const mqttResourceArb: fc.Arbitrary<string> = fc
  .tuple(fc.array(mqttResourceLevel, { minLength: 0, maxLength: 4 }), fc.boolean())
  .map(([levels, hash]) => (hash || levels.length === 0 ? [...levels, '#'] : levels).join('/') || '/');

/** A valid http permission resource: '/' then filter levels. */
export const httpResourceArb: fc.Arbitrary<string> = fc
  .tuple(fc.array(filterLevel, { minLength: 0, maxLength: 3 }), fc.boolean())
  .map(([levels, hash]) => '/' + (hash ? [...levels, '#'] : levels).join('/'));

export const operationArb: fc.Arbitrary<PermissionOperation> = fc.constantFrom('read', 'write', 'readWrite');

/** An mqtt allow without `effect`, as before deny existed. */
export const mqttAllowArb: fc.Arbitrary<PermissionRule> = fc.record({
  context: fc.constant('mqtt' as const),
  resource: mqttResourceArb,
  operation: operationArb,
});

/** QoS and retain limits (SPEC 1.4.7), some fields absent. */
const limitsArb = fc.record(
  { maxQos: fc.constantFrom<0 | 1 | 2>(0, 1, 2), retain: fc.boolean() },
  { requiredKeys: [] },
);

/**
 * The same rule as it may also be written: with an explicit `effect: 'allow'`, as a deny (SPEC 1.4.6),
 * or, when it grants write, with QoS and retain limits (SPEC 1.4.7).
 */
function withEffects(allow: fc.Arbitrary<PermissionRule>): fc.Arbitrary<PermissionRule> {
  return allow.chain((rule) => {
    const options = [
      { weight: 5, arbitrary: fc.constant(rule) },
      { weight: 1, arbitrary: fc.constant<PermissionRule>({ ...rule, effect: 'allow' }) },
      { weight: 2, arbitrary: fc.constant<PermissionRule>({ ...rule, effect: 'deny' }) },
    ];
    if (rule.context === 'mqtt' && rule.operation !== 'read') {
      options.push({ weight: 2, arbitrary: limitsArb.map((l): PermissionRule => ({ ...rule, ...l })) });
    }
    return fc.oneof(...options);
  });
}

/** An mqtt rule: an allow, a deny, or an allow with limits. */
export const mqttRuleArb: fc.Arbitrary<PermissionRule> = withEffects(mqttAllowArb);

/** An http allow without `effect`. */
export const httpAllowArb: fc.Arbitrary<PermissionRule> = fc.record({
  context: fc.constant('http' as const),
  resource: httpResourceArb,
  operation: operationArb,
});

/** An http rule: an allow or a deny. */
export const httpRuleArb: fc.Arbitrary<PermissionRule> = withEffects(httpAllowArb);

/** 0..8 rules of both contexts. */
export const rulesArb: fc.Arbitrary<PermissionRule[]> = fc.array(fc.oneof(mqttRuleArb, httpRuleArb), {
  minLength: 0,
  maxLength: 8,
});

/** Values that collide with topic levels, plus ones that must fail closed. */
const varValue = fc.constantFrom('a', 'b', 'c', '$x', '', 'a+b', 'a#', 'a/b', 'nul\u0000');

export const varsArb: fc.Arbitrary<PrincipalVars> = fc.record(
  { username: varValue, clientId: varValue },
  { requiredKeys: ['username'] },
);

/** An http request target: a path from the same small alphabet, sometimes with a query or trailing slash. */
export const httpTargetArb: fc.Arbitrary<string> = fc
  .tuple(
    fc.array(fc.constantFrom('a', 'b', '', 'c', '+'), { minLength: 0, maxLength: 4 }),
    fc.constantFrom('', '?q=1', '?a/b', '/'),
    fc.constantFrom('/', '', 'x'),
  )
  .map(([levels, tail, lead]) => lead + levels.join('/') + tail);

export const methodArb: fc.Arbitrary<string> = fc.constantFrom(
  'GET',
  'HEAD',
  'OPTIONS',
  'POST',
  'PUT',
  'PATCH',
  'DELETE',
  'TRACE',
  'get',
  'CONNECT',
);
