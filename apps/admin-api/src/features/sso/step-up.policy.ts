import { Inject, Injectable } from '@nestjs/common';
import { IdentityError, PrincipalService } from '@gatehouse/identity';
import { CompiledPermissions } from '@gatehouse/rbac';
import { ADMIN_API_CONFIG, type AdminApiConfig } from '../../config/admin-api.config';

/** A stand-in id for "any user" / "any role" in the paths checked below. */
const ANY_ID = '00000000-0000-0000-0000-000000000000';

/**
 * What makes a user "admin-level" for OIDC_ADMIN_ACR / OIDC_ADMIN_AMR (ADR 0023): it may change users or
 * roles, i.e. its effective http permissions allow a write on `/api/users`, `/api/users/{id}`,
 * `/api/roles` or `/api/roles/{id}`. Whoever can do that decides who may do anything else.
 */
export const ADMIN_LEVEL_PATHS = ['/api/users', `/api/users/${ANY_ID}`, '/api/roles', `/api/roles/${ANY_ID}`];

/**
 * ASVS 6.8.4 (ADR 0023): an admin-level user who signs in through the OpenID provider must come with the
 * authentication strength the operator asks for: the ID token's `acr` one of OIDC_ADMIN_ACR, its `amr`
 * holding every one of OIDC_ADMIN_AMR. Checked after the user's groups were stored (they decide the
 * roles), before any Gatehouse token is issued; at login and at every refresh.
 */
@Injectable()
export class OidcStepUpPolicy {
  constructor(
    @Inject(ADMIN_API_CONFIG) private readonly config: AdminApiConfig,
    private readonly principals: PrincipalService,
  ) {}

  async assert(
    user: { id: string; username: string },
    claims: Record<string, unknown> | null,
  ): Promise<void> {
    const oidc = this.config.identity.oidc;
    if (!oidc || (oidc.adminAcr.length === 0 && oidc.adminAmr.length === 0)) return;
    if (!(await this.isAdminLevel(user))) return;
    const acr = claims?.acr;
    const amr = Array.isArray(claims?.amr) ? (claims.amr as unknown[]) : [];
    const missing: string[] = [];
    if (oidc.adminAcr.length > 0 && (typeof acr !== 'string' || !oidc.adminAcr.includes(acr)))
      missing.push(`acr one of ${oidc.adminAcr.join(', ')}`);
    const lacking = oidc.adminAmr.filter((m) => !amr.includes(m));
    if (lacking.length > 0) missing.push(`amr with ${lacking.join(', ')}`);
    if (missing.length === 0) return;
    throw new IdentityError(
      'AUTH.OIDC_STEP_UP_REQUIRED',
      `this user holds administrative permissions and must sign in at the provider with ${missing.join(' and ')} (OIDC_ADMIN_ACR / OIDC_ADMIN_AMR)`,
      undefined,
      { type: 'oidc-user', name: user.username },
    );
  }

  private async isAdminLevel(user: { id: string; username: string }): Promise<boolean> {
    const compiled = CompiledPermissions.compile(await this.principals.effectiveRules(user.id), {
      username: user.username,
    });
    return ADMIN_LEVEL_PATHS.some((p) => compiled.canHttpAccess('write', p));
  }
}
