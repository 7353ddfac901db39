import { validatePermissionRule } from './pattern-validation';
import {
  accessKindsOf,
  type AccessKind,
  type PermissionContext,
  type PermissionRule,
} from './permission.types';
import {
  CLIENT_ID_PLACEHOLDER,
  USERNAME_PLACEHOLDER,
  isSubstitutableValue,
  substitutePlaceholders,
} from './placeholders';
import { coversLevels } from './topic-matching';

/**
 * Who receives what is handed out: a user, by name (its `${username}` becomes that name), or
 * {@link ANY_USER} for a role, whose members (present and future) are not known by name: there
 * `${username}` stands for any single level, as `${clientId}` always does.
 */
export type Grantee = { readonly username: string } | typeof ANY_USER;

/** The grantee of a role's permissions: every user who holds or will hold the role. */
export const ANY_USER = 'any-user' as const;

const WILDCARD = '+';

/**
 * What a grantor may hand out (SPEC 2.2, no privilege escalation): its effective access, compared after
 * placeholders are substituted on both sides.
 *
 * - The grantor's rules are read with its own name for `${username}`; a grantor rule with `${clientId}`
 *   covers nothing (which client id a session will use is not the grantor's to promise).
 * - A wanted rule is read as the grantee will hold it: `${username}` is the grantee's name (any single
 *   level for {@link ANY_USER}), `${clientId}` any single level (the grantee picks its client id).
 * - Wanted is covered iff, for each access kind its operation implies, some grantor rule of the same
 *   context that grants that access covers the substituted wanted filter (SPEC 1.4.3 coverage, exact
 *   per rule). `readWrite` may so be covered by one `read` and one `write` rule.
 *
 * Sound: whenever {@link covers} is true, every topic or path the grantee can reach through `wanted`
 * (with any client id) the grantor can reach too. Not complete for unions: a wanted filter covered only
 * by several held rules together (`a` and `a/+/#` for `a/#`) is refused; grant the parts instead.
 *
 * Build one per grantor and check (no I/O, linear in the held rules per wanted rule).
 */
export class GrantorAccess {
  private constructor(
    /** Substituted level arrays per context and access kind. */
    private readonly held: Readonly<Record<`${PermissionContext}:${AccessKind}`, readonly string[][]>>,
  ) {}

  /**
   * @param rules - the grantor's effective permissions; invalid ones grant nothing
   * @param username - the grantor's username (its `${username}`)
   */
  static of(rules: readonly PermissionRule[], username: string): GrantorAccess {
    const held: Record<`${PermissionContext}:${AccessKind}`, string[][]> = {
      'mqtt:read': [],
      'mqtt:write': [],
      'http:read': [],
      'http:write': [],
    };
    for (const rule of rules) {
      if (!isValid(rule)) continue;
      const resource =
        rule.context === 'mqtt' ? substitutePlaceholders(rule.resource, { username }) : rule.resource;
      if (resource === null) continue; // `${clientId}` (or an unusable name): covers nothing
      const levels = resource.split('/');
      for (const access of accessKindsOf(rule.operation)) held[`${rule.context}:${access}`].push(levels);
    }
    return new GrantorAccess(held);
  }

  /**
   * Does handing `wanted` to `grantee` give it nothing the grantor lacks?
   * @throws RbacError when `wanted` is invalid (validate it first to answer 400)
   */
  covers(wanted: PermissionRule, grantee: Grantee): boolean {
    validatePermissionRule(wanted);
    const wantedLevels =
      wanted.context === 'mqtt' ? asGranteeHoldsIt(wanted.resource, grantee) : wanted.resource.split('/');
    for (const access of accessKindsOf(wanted.operation)) {
      const candidates = this.held[`${wanted.context}:${access}`];
      if (!candidates.some((levels) => coversLevels(levels, wantedLevels))) return false;
    }
    return true;
  }

  /** The first of `wanted` that {@link covers} refuses, or `undefined` when all are covered. */
  firstUncovered<T extends PermissionRule>(wanted: readonly T[], grantee: Grantee): T | undefined {
    return wanted.find((p) => !this.covers(p, grantee));
  }
}

/**
 * Does holding `held` (as `grantor`) entitle a caller to hand `wanted` to `grantee`? A shorthand for
 * `GrantorAccess.of(held, grantor).covers(wanted, grantee)`; see {@link GrantorAccess}.
 *
 * @throws RbacError when `wanted` is invalid
 */
export function ruleCoveredBy(
  wanted: PermissionRule,
  held: readonly PermissionRule[],
  parties: { readonly grantor: string; readonly grantee: Grantee },
): boolean {
  return GrantorAccess.of(held, parties.grantor).covers(wanted, parties.grantee);
}

/**
 * The levels of a valid mqtt resource as the grantee holds it: `${username}` is its name, `${clientId}`
 * (and `${username}` of {@link ANY_USER}) any one level. A `+` over-approximates what the grantee can
 * reach (it also matches the values that fail closed), which only makes the check stricter; in the
 * first level it does not match `$` topics, as a substituted value never starts with `$` there.
 */
function asGranteeHoldsIt(resource: string, grantee: Grantee): string[] {
  const name = grantee === ANY_USER ? undefined : grantee.username;
  return resource.split('/').map((level, i) => {
    if (level === CLIENT_ID_PLACEHOLDER) return WILDCARD;
    if (level !== USERNAME_PLACEHOLDER) return level;
    if (!isSubstitutableValue(name) || (i === 0 && name.startsWith('$'))) return WILDCARD;
    return name;
  });
}

function isValid(rule: PermissionRule): boolean {
  try {
    validatePermissionRule(rule);
    return true;
  } catch {
    return false;
  }
}
