import type { GrantType } from '../entities';
import type { TokenKinds } from '../repositories/token.repository';

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
export function tokenKindsRevokedBy(before: readonly GrantType[], after: readonly GrantType[]): TokenKinds {
  const removed = (method: GrantType['method']): boolean =>
    before.some((g) => g.method === method) && !after.some((g) => g.method === method);
  return { login: removed('password'), labelled: removed('token') };
}
