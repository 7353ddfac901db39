import { IsBoolean, IsIn } from 'class-validator';

/** The ways a user may prove who it is (SPEC 1.3 `grantTypes[].method`). */
export const GRANT_METHODS = ['password', 'token', 'certificate'] as const;
export type GrantMethod = (typeof GRANT_METHODS)[number];

/** One grant type of a user, as it travels between the apps. */
export class GrantTypeMessageDto {
  @IsIn(GRANT_METHODS)
  method!: GrantMethod;

  @IsBoolean()
  isRequired!: boolean;
}

export interface GrantDecision {
  ok: boolean;
  /** The proven methods the user holds: what the session logged in by. */
  methods: GrantMethod[];
  /** Why not, when `ok` is false (names methods, never a secret). */
  reason?: string;
}

/**
 * The grant-type rule of every way in (ADR 0011, ASVS 6.3.3, 6.3.4): a login that proved `proven`
 * is admitted when at least one of them is a grant the user holds, and every grant marked
 * `isRequired` is among them. A method the user does not hold proves nothing.
 */
export function admitGrants(
  grants: readonly { method: string; isRequired: boolean }[],
  proven: readonly GrantMethod[],
): GrantDecision {
  const held = new Set(grants.map((g) => g.method));
  const methods = [...new Set(proven)].filter((m) => held.has(m));
  if (methods.length === 0)
    return {
      ok: false,
      methods,
      reason: `grant type ${proven.join('+') || 'none'} not held (holds ${[...held].join(', ') || 'none'})`,
    };
  const missing = grants.filter((g) => g.isRequired && !methods.includes(g.method as GrantMethod));
  if (missing.length > 0)
    return {
      ok: false,
      methods,
      reason: `required grant type ${missing.map((g) => g.method).join(' and ')} not presented`,
    };
  return { ok: true, methods };
}

/**
 * Whether a live session that logged in by `methods` survives a change of the user's grant types
 * (ASVS 7.4.3): every method it used is still held, and it would still be admitted. `dependsOn`:
 * grants its credential itself needs (a login token needs `password`, ADR 0011).
 */
export function sessionKeepsGrants(
  grants: readonly { method: string; isRequired: boolean }[],
  methods: readonly GrantMethod[],
  dependsOn: readonly GrantMethod[] = [],
): GrantDecision {
  const held = new Set(grants.map((g) => g.method));
  const lost = [...new Set([...methods, ...dependsOn])].filter((m) => !held.has(m));
  if (lost.length > 0) return { ok: false, methods: [], reason: `grant type ${lost.join(' and ')} removed` };
  return admitGrants(grants, methods);
}
