import type { EntityManager } from 'typeorm';
import type { GrantType } from '../entities';

/** Same grant types, whatever the order. */
export function sameGrants(a: readonly GrantType[], b: readonly GrantType[]): boolean {
  const key = (g: GrantType): string => `${g.method}:${g.isRequired}`;
  const sa = new Set(a.map(key));
  const sb = new Set(b.map(key));
  return a.length === b.length && sa.size === sb.size && [...sa].every((k) => sb.has(k));
}

/**
 * ADR 0011: removing `password` revokes the login tokens (they are products of a password login),
 * removing `token` revokes the labelled tokens: a grant added back later does not revive them.
 */
export async function revokeTokensOfRemovedGrants(
  m: EntityManager,
  userId: string,
  before: readonly GrantType[],
  after: readonly GrantType[],
): Promise<void> {
  const removed = (method: GrantType['method']): boolean =>
    before.some((g) => g.method === method) && !after.some((g) => g.method === method);
  const kinds: string[] = [];
  if (removed('password')) kinds.push('label IS NULL');
  if (removed('token')) kinds.push('label IS NOT NULL');
  if (kinds.length === 0) return;
  await m.query(
    `UPDATE tokens SET revoked_at = now() WHERE user_id = $1 AND revoked_at IS NULL AND (${kinds.join(' OR ')})`,
    [userId],
  );
}
