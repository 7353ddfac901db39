import type { PermissionRule } from './permission.types';

/**
 * QoS and retain limits (SPEC 1.4.7) as bit masks: one bit per (QoS, retain) pair a PUBLISH can carry,
 * bit `2·qos + (retain ? 1 : 0)`. A write allow admits a set of pairs; a PUBLISH asks for one.
 * @internal
 */

/** The bit of a PUBLISH with `qos` and `retain`, or 0 for a QoS that is not 0, 1 or 2. */
export function publishKind(qos: number, retain: boolean): number {
  const bit = qos === 0 ? 1 : qos === 1 ? 4 : qos === 2 ? 16 : 0;
  return retain ? bit << 1 : bit;
}

/** Every pair: a write allow without limits. */
const ALL_KINDS = 0b111111;

/**
 * The pairs a write allow admits: every QoS up to `maxQos` (2 when absent), retained only unless
 * `retain` is `false`. (Read rules and denies carry no limits.)
 */
export function publishKindsAdmitted(rule: PermissionRule): number {
  const maxQos = rule.maxQos ?? 2;
  const retain = rule.retain !== false;
  if (maxQos === 2 && retain) return ALL_KINDS;
  let mask = 0;
  for (let qos = 0; qos <= maxQos; qos++)
    mask |= publishKind(qos, false) | (retain ? publishKind(qos, true) : 0);
  return mask;
}
