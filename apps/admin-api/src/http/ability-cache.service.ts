import { Injectable } from '@nestjs/common';
import { AuthService, type AuthSession } from '@gatehouse/identity';
import { type GatehouseAbility, RbacAbilityFactory } from '@gatehouse/rbac';

const MAX_ENTRIES = 10_000;

/**
 * The caller's CASL ability, compiled once per (user, permissionsVersion). The version is read
 * with the token on every request, so a change applies to the very next request.
 */
@Injectable()
export class AbilityCache {
  private readonly factory = new RbacAbilityFactory();
  private readonly cache = new Map<string, { version: number; ability: GatehouseAbility }>();

  constructor(private readonly auth: AuthService) {}

  async forSession(session: AuthSession): Promise<GatehouseAbility> {
    const hit = this.cache.get(session.userId);
    if (hit && hit.version === session.permissionsVersion) return hit.ability;
    const rules = await this.auth.effectiveRules(session.userId);
    const ability = this.factory.createForRules(rules, { username: session.username });
    if (this.cache.size >= MAX_ENTRIES) this.cache.delete(this.cache.keys().next().value as string);
    this.cache.set(session.userId, { version: session.permissionsVersion, ability });
    return ability;
  }
}
