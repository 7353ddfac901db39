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
  isPlaceholderLevel,
  isSubstitutableValue,
  substituteDenyPlaceholders,
  substitutePlaceholders,
} from './placeholders';
import { publishKindsAdmitted } from './publish-limits';
import { coversLevels, intersectLevels } from './topic-matching';

/**
 * Who receives what is handed out: a user, by name (its `${username}` becomes that name), or
 * {@link ANY_USER} for a role, whose members (present and future) are not known by name: there
 * `${username}` stands for any single level, as `${clientId}` always does.
 */
export type Grantee = { readonly username: string } | typeof ANY_USER;

/** The grantee of a role's permissions: every user who holds or will hold the role. */
export const ANY_USER = 'any-user' as const;

const WILDCARD = '+';

/** What a change gives its grantee, for {@link GrantorAccess.firstEscalation}. */
export interface GrantChange<T extends PermissionRule = PermissionRule> {
  /** Rules the grantee gains. Its allows are checked; a deny hands out nothing. */
  readonly added: readonly T[];
  /** Denies the grantee loses: what they blocked is handed out (SPEC 1.4.6). */
  readonly removedDenies?: readonly T[];
  /**
   * The grantee's rules after the change, as far as they are known: its denies narrow what the added
   * allows and the removed denies release; its allows bound what a removed deny releases when
   * {@link afterIsComplete}.
   */
  readonly after: readonly PermissionRule[];
  /**
   * Whether {@link after} holds every rule the grantee will hold (a user's effective rules). A role's
   * members may hold further allows elsewhere, so for a role a removed deny releases all it blocked.
   */
  readonly afterIsComplete?: boolean;
}

/** What {@link GrantorAccess.firstEscalation} found: the rule and how it hands out too much. */
export interface Escalation<T extends PermissionRule = PermissionRule> {
  readonly rule: T;
  /** `allow`: an added allow; `removed-deny`: a removed deny releases what the grantor cannot do. */
  readonly kind: 'allow' | 'removed-deny';
}

type Key = `${PermissionContext}:${AccessKind}`;

interface HeldAllow {
  readonly levels: string[];
  /** (QoS, retain) pairs admitted, for write (SPEC 1.4.7) */
  readonly kinds: number;
}

/**
 * What a grantor may hand out (SPEC 2.2, no privilege escalation): its effective access, compared after
 * placeholders are substituted on both sides. After the change, the grantee can do nothing the grantor
 * cannot (ADR 0004, 0018).
 *
 * - The grantor's allows are read with its own name for `${username}`; a grantor allow with
 *   `${clientId}` covers nothing (which client id a session will use is not the grantor's to promise).
 *   The grantor's denies are read with its name too; one with `${clientId}` blocks nothing the grantor
 *   cannot reach with another client id, so it is left out.
 * - A wanted rule is read as the grantee will hold it: `${username}` is the grantee's name (any single
 *   level for {@link ANY_USER}), `${clientId}` any single level (the grantee picks its client id).
 * - An added allow is handed out iff, for each access kind its operation implies, some grantor allow of
 *   the same context that grants that access covers it (SPEC 1.4.3 coverage, exact per rule) and, for
 *   write, admits every (QoS, retain) pair it admits (SPEC 1.4.7); and every part of it that a grantor
 *   deny blocks is blocked for the grantee too, by a deny it certainly holds after the change.
 * - A removed deny hands out what it blocked, within the grantee's allows when they are all known:
 *   each part is checked as an added allow.
 * - An added deny hands out nothing.
 *
 * Sound: whenever {@link firstEscalation} finds nothing, every topic or path the grantee can reach (with
 * any client id) the grantor can reach too. Not complete for unions: a wanted filter covered only by
 * several held rules together (`a` and `a/+/#` for `a/#`) is refused; grant the parts instead.
 *
 * Build one per grantor and check (no I/O, linear in the held rules per wanted rule).
 */
export class GrantorAccess {
  private constructor(
    private readonly held: Readonly<Record<Key, readonly HeldAllow[]>>,
    private readonly denied: Readonly<Record<Key, readonly string[][]>>,
  ) {}

  /**
   * @param rules - the grantor's effective permissions; invalid ones grant nothing
   * @param username - the grantor's username (its `${username}`)
   */
  static of(rules: readonly PermissionRule[], username: string): GrantorAccess {
    const held = byKey<HeldAllow>();
    const denied = byKey<string[]>();
    for (const rule of rules) {
      if (!isValid(rule)) continue;
      if (rule.effect === 'deny') {
        const levels = asGrantorDenies(rule, username);
        if (levels === null) continue;
        for (const access of accessKindsOf(rule.operation)) denied[`${rule.context}:${access}`].push(levels);
        continue;
      }
      const resource =
        rule.context === 'mqtt' ? substitutePlaceholders(rule.resource, { username }) : rule.resource;
      if (resource === null) continue; // `${clientId}` (or an unusable name): covers nothing
      const levels = resource.split('/');
      for (const access of accessKindsOf(rule.operation)) {
        held[`${rule.context}:${access}`].push({ levels, kinds: kindsFor(rule, access) });
      }
    }
    return new GrantorAccess(held, denied);
  }

  /**
   * Does handing `wanted` to `grantee` give it nothing the grantor lacks? `granteeDenies`: denies the
   * grantee certainly holds afterwards (default none). A deny is always covered.
   * @throws RbacError when `wanted` is invalid (validate it first to answer 400)
   */
  covers(wanted: PermissionRule, grantee: Grantee, granteeDenies: readonly PermissionRule[] = []): boolean {
    validatePermissionRule(wanted);
    if (wanted.effect === 'deny') return true;
    const levels = asGranteeHolds(wanted, grantee);
    const blocking = certainDenies(granteeDenies, grantee);
    return accessKindsOf(wanted.operation).every((access) =>
      this.coversPart(wanted.context, access, levels, kindsFor(wanted, access), blocking),
    );
  }

  /**
   * The first of `wanted` that {@link covers} refuses, or `undefined` when all are covered. The denies
   * among `wanted` are held with them (handed out together, as a role's or a new user's permissions).
   */
  firstUncovered<T extends PermissionRule>(wanted: readonly T[], grantee: Grantee): T | undefined {
    return this.firstEscalation({ added: wanted, after: wanted }, grantee)?.rule;
  }

  /**
   * The first rule of a change that gives the grantee access the grantor lacks, or `undefined`.
   * @throws RbacError when a rule of `added` or `removedDenies` is invalid
   */
  firstEscalation<T extends PermissionRule>(
    change: GrantChange<T>,
    grantee: Grantee,
  ): Escalation<T> | undefined {
    const blocking = certainDenies(change.after, grantee);
    for (const rule of change.added) {
      validatePermissionRule(rule);
      if (rule.effect === 'deny') continue;
      const levels = asGranteeHolds(rule, grantee);
      for (const access of accessKindsOf(rule.operation)) {
        if (!this.coversPart(rule.context, access, levels, kindsFor(rule, access), blocking)) {
          return { rule, kind: 'allow' };
        }
      }
    }
    for (const deny of change.removedDenies ?? []) {
      validatePermissionRule(deny);
      if (deny.effect !== 'deny') continue;
      const levels = blockedByDeny(deny, grantee);
      for (const access of accessKindsOf(deny.operation)) {
        for (const part of this.released(deny.context, access, levels, change, grantee)) {
          if (!this.coversPart(deny.context, access, part.levels, part.kinds, blocking)) {
            return { rule: deny, kind: 'removed-deny' };
          }
        }
      }
    }
    return undefined;
  }

  /** What a removed deny releases: all it blocked, or its overlap with each allow the grantee holds. */
  private released(
    context: PermissionContext,
    access: AccessKind,
    denyLevels: string[],
    change: GrantChange,
    grantee: Grantee,
  ): HeldAllow[] {
    if (!change.afterIsComplete) return [{ levels: denyLevels, kinds: ALL_PUBLISH_KINDS }];
    const parts: HeldAllow[] = [];
    for (const allow of change.after) {
      if (
        allow.effect === 'deny' ||
        allow.context !== context ||
        !accessKindsOf(allow.operation).includes(access)
      )
        continue;
      if (!isValid(allow)) continue;
      const overlap = intersectLevels(denyLevels, asGranteeHolds(allow, grantee));
      if (overlap !== null) parts.push({ levels: overlap, kinds: kindsFor(allow, access) });
    }
    return parts;
  }

  /**
   * Is access to `levels` (admitting `kinds`) held: covered by one grantor allow admitting those kinds,
   * and every part a grantor deny blocks blocked for the grantee as well?
   */
  private coversPart(
    context: PermissionContext,
    access: AccessKind,
    levels: readonly string[],
    kinds: number,
    granteeDenies: Readonly<Record<Key, readonly string[][]>>,
  ): boolean {
    const key: Key = `${context}:${access}`;
    const covered = this.held[key].some((h) => (kinds & ~h.kinds) === 0 && coversLevels(h.levels, levels));
    if (!covered) return false;
    return this.denied[key].every((deny) => {
      const overlap = intersectLevels(deny, levels);
      return overlap === null || granteeDenies[key].some((d) => coversLevels(d, overlap));
    });
  }
}

/** Every (QoS, retain) pair: what a read rule or a write allow without limits admits. */
const ALL_PUBLISH_KINDS = publishKindsAdmitted({ context: 'mqtt', resource: '#', operation: 'write' });

function kindsFor(rule: PermissionRule, access: AccessKind): number {
  return access === 'write' && rule.context === 'mqtt' ? publishKindsAdmitted(rule) : ALL_PUBLISH_KINDS;
}

function byKey<T>(): Record<Key, T[]> {
  return { 'mqtt:read': [], 'mqtt:write': [], 'http:read': [], 'http:write': [] };
}

/**
 * A grantor's deny as levels: its name for `${username}`. A deny with `${clientId}` blocks, for each
 * topic, only the client id equal to one of its levels, so the grantor reaches that topic with another
 * client id: it restricts nothing the grantor can do (`null`).
 */
function asGrantorDenies(rule: PermissionRule, username: string): string[] | null {
  if (rule.context !== 'mqtt') return rule.resource.split('/');
  if (rule.resource.includes(CLIENT_ID_PLACEHOLDER)) return null;
  return substituteDenyPlaceholders(rule.resource, { username }).split('/');
}

/**
 * The grantee's denies that block whatever its client id: those whose placeholders resolve to a known
 * valid value (a `${clientId}` deny blocks one topic per client id, nothing for all of them).
 */
function certainDenies(rules: readonly PermissionRule[], grantee: Grantee): Record<Key, string[][]> {
  const out = byKey<string[]>();
  const name = grantee === ANY_USER ? undefined : grantee.username;
  for (const rule of rules) {
    if (rule.effect !== 'deny' || !isValid(rule)) continue;
    let levels: string[] | null = rule.resource.split('/');
    if (rule.context === 'mqtt' && rule.resource.includes('${')) {
      levels = levels.map((l) => (l === USERNAME_PLACEHOLDER && isSubstitutableValue(name) ? name : l));
      if (levels.some(isPlaceholderLevel)) levels = null;
    }
    if (levels === null) continue;
    for (const access of accessKindsOf(rule.operation)) out[`${rule.context}:${access}`].push(levels);
  }
  return out;
}

/**
 * Everything a grantee's deny may block, whatever its client id: `${username}` as the deny substitutes
 * it (any level for a role's members), and from the first `${clientId}` (or an unusable name) on `#`,
 * since an unusable value makes the deny block everything below the levels before it
 * (`substituteDenyPlaceholders`).
 */
function blockedByDeny(rule: PermissionRule, grantee: Grantee): string[] {
  if (rule.context !== 'mqtt') return rule.resource.split('/');
  const out: string[] = [];
  for (const level of rule.resource.split('/')) {
    if (level === CLIENT_ID_PLACEHOLDER) return [...out, '#'];
    if (level !== USERNAME_PLACEHOLDER) out.push(level);
    else if (grantee === ANY_USER)
      out.push(WILDCARD); // any member's (valid) name
    else if (isSubstitutableValue(grantee.username)) out.push(grantee.username);
    else return [...out, '#'];
  }
  return out;
}

function asGranteeHolds(rule: PermissionRule, grantee: Grantee): string[] {
  return rule.context === 'mqtt' ? asGranteeHoldsIt(rule.resource, grantee) : rule.resource.split('/');
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
