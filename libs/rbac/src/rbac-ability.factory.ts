import { Ability, type MatchConditions, type RawRuleOf } from '@casl/ability';
import { Injectable } from '@nestjs/common';
import { CompiledPermissions } from './compiled-permissions';
import {
  ACCESS_KINDS,
  PERMISSION_CONTEXTS,
  type AccessKind,
  type PermissionRule,
  type PrincipalVars,
} from './permission.types';
import type { GatehouseAbility, GatehouseConditions, GatehouseSubject } from './rbac-ability.types';

/**
 * Builds CASL abilities whose decisions come from {@link CompiledPermissions}: CASL gets at most one
 * rule per (access, context) that the principal has any permission for, and a custom
 * `conditionsMatcher` that turns that rule's conditions into a lookup in the compiled trie. So
 * `ability.can('write', subject('http', { path }))` answers exactly like `canHttpAccess('write', path)`
 * and `ability.can(access, subject('mqtt', { topic }))` like `allows('mqtt', access, topic)`, at trie
 * speed, while the guard keeps CASL's vocabulary (`can`, `relevantRuleFor`, `ForbiddenError`).
 *
 * A subject object without `path` / `topic` string, or not tagged with `subject()`, is denied.
 */
@Injectable()
export class RbacAbilityFactory {
  /**
   * @param rules - the principal's effective permissions
   * @param vars - values for placeholders
   * @throws RbacError when a rule is invalid (see `CompiledPermissions.compile`)
   */
  createForRules(rules: readonly PermissionRule[], vars: PrincipalVars): GatehouseAbility {
    return this.createForCompiled(CompiledPermissions.compile(rules, vars));
  }

  /** As {@link createForRules}, over permissions already compiled (e.g. cached per token). */
  createForCompiled(compiled: CompiledPermissions): GatehouseAbility {
    const rawRules: RawRuleOf<GatehouseAbility>[] = [];
    for (const context of PERMISSION_CONTEXTS) {
      for (const access of ACCESS_KINDS) {
        if (compiled.hasAny(context, access)) {
          rawRules.push({ action: access, subject: context, conditions: { context, access } });
        }
      }
    }
    const conditionsMatcher = (conditions: GatehouseConditions): MatchConditions => {
      const { context, access } = conditions;
      if (context === 'http') {
        return (object: Record<PropertyKey, unknown>): boolean =>
          typeof object.path === 'string' && compiled.canHttpAccess(access, object.path);
      }
      return (object: Record<PropertyKey, unknown>): boolean =>
        typeof object.topic === 'string' && compiled.allows('mqtt', access, object.topic);
    };
    return new Ability<[AccessKind, GatehouseSubject], GatehouseConditions>(rawRules, { conditionsMatcher });
  }
}
