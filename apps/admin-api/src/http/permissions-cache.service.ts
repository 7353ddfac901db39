import { Injectable } from '@nestjs/common';
import { AuthService, type AuthSession } from '@gatehouse/identity';
import { CompiledPermissions } from '@gatehouse/rbac';

const MAX_ENTRIES = 10_000;

/**
 * The caller's compiled permissions, compiled once per (user, permissionsVersion). The version is read
 * with the token on every request, so a change applies to the very next request. (No CASL layer on top:
 * ADR 0013.)
 */
@Injectable()
export class PermissionsCache {
  private readonly cache = new Map<string, { version: number; compiled: CompiledPermissions }>();

  constructor(private readonly auth: AuthService) {}

  async forSession(session: AuthSession): Promise<CompiledPermissions> {
    const hit = this.cache.get(session.userId);
    if (hit && hit.version === session.permissionsVersion) return hit.compiled;
    const rules = await this.auth.effectiveRules(session.userId);
    const compiled = CompiledPermissions.compile(rules, { username: session.username });
    if (this.cache.size >= MAX_ENTRIES) this.cache.delete(this.cache.keys().next().value as string);
    this.cache.set(session.userId, { version: session.permissionsVersion, compiled });
    return compiled;
  }
}
