import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import { IdentityError, OidcStrategy } from '@gatehouse/identity';
import { StrategyGuard } from '../../http/strategy.guard';

/**
 * `GET /api/auth/oidc/callback` (ADR 0023, 0026): the Passport strategy `oidc`; the completed login on
 * `req.user`, the handler applies the acr/amr rule and issues the token.
 */
@Injectable()
export class OidcCallbackGuard extends StrategyGuard implements CanActivate {
  constructor(oidc: OidcStrategy) {
    super(oidc.scoped.name, 'user');
  }

  protected undecided(): Error {
    return new IdentityError('IDENTITY.OIDC_STATE_INVALID', 'the authorization response was not accepted');
  }

  override async canActivate(ctx: ExecutionContext): Promise<boolean> {
    await this.authenticate(ctx);
    return true;
  }
}
