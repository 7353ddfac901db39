import { Inject, Injectable } from '@nestjs/common';
import {
  admitGrants,
  type AuthenticateResultDto,
  type ResolveFederatedPrincipalRequestDto,
} from '@gatehouse/contracts';
import { IDENTITY_OPTIONS, type IdentityOptions } from '../identity.options';
import { UserRepository } from '../repositories/user.repository';
import { PrincipalService } from './principal.service';

/**
 * The Gatehouse user behind a provider's access token that a gateway verified itself (SPEC 2.1a,
 * `OIDC_MQTT_ACCESS_TOKENS`, ADR 0027). The gateway checked signature, issuer, audience and lifetime; this
 * answers who (issuer, sub) is here and whether that user may come in. Only a user an OIDC login of
 * admin-api's own `OIDC_ISSUER` bound is found, never one by name. Disabled wins over the provider.
 */
@Injectable()
export class FederatedPrincipalService {
  constructor(
    private readonly users: UserRepository,
    private readonly principals: PrincipalService,
    @Inject(IDENTITY_OPTIONS) private readonly options: IdentityOptions,
  ) {}

  /**
   * Answers as an MQTT authentication does: `ok` with the principal; `bad-credentials` for no such user
   * (no enumeration: the same CONNACK 4 as an unknown user); `not-authorized` for a disabled user or grant
   * types that do not admit a token (ADR 0011: a token as the MQTT password is the `token` way in, and a
   * provider's access token stands for a provider login, which is the `password` grant of an OIDC user).
   */
  async forAccessToken(req: ResolveFederatedPrincipalRequestDto): Promise<AuthenticateResultDto> {
    const issuer = this.options.oidc?.issuer;
    if (issuer === undefined)
      return { outcome: 'bad-credentials', reason: 'OIDC is off in admin-api (OIDC_ISSUER unset)' };
    if (req.issuer !== issuer)
      return { outcome: 'bad-credentials', reason: "the token's issuer is not admin-api's OIDC_ISSUER" };
    const user = await this.users.findByExternalSubject(req.provider, issuer, req.subject);
    if (!user)
      return {
        outcome: 'bad-credentials',
        reason: 'no Gatehouse user is bound to this subject (the user must log in over HTTP once)',
      };
    const principal = await this.principals.principal(user.id);
    if (!principal) return { outcome: 'bad-credentials', reason: 'user deleted' };
    if (!principal.enabled) return { outcome: 'not-authorized', reason: 'user disabled' };
    const grants = admitGrants(user.grantTypes, ['token']);
    if (!grants.ok) return { outcome: 'not-authorized', ...(grants.reason ? { reason: grants.reason } : {}) };
    const heldPassword = user.grantTypes.some((g) => g.method === 'password');
    if (!heldPassword)
      return { outcome: 'not-authorized', reason: 'grant type password (the provider login) not held' };
    return { outcome: 'ok', principal, method: 'token', methods: ['token'], dependsOn: ['password'] };
  }
}
