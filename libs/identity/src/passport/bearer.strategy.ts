import { Injectable, type OnModuleDestroy } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { Strategy as CustomStrategy } from 'passport-custom';
import { IdentityError } from '../identity.error';
import { AuthService, type AuthSession } from '../services/auth.service';
import { bearerTokenOf, type StrategyRequest } from './bearer-token';
import { ScopedStrategyName } from './strategy-registration';

export const BEARER_STRATEGY = 'bearer';

/**
 * `Authorization: Bearer <token>`: an access token from a login or a long-lived (labelled) token
 * (SPEC 2.1, ADR 0026). Every request asks `AuthService.authenticateBearer`, which decides revocation,
 * expiry and the user's state in SQL: a revoked token is refused at the very next request. Errors are
 * thrown as they are (`AUTH.UNAUTHENTICATED` without a token, `IDENTITY.INVALID_TOKEN`), never turned
 * into Passport's bare 401.
 */
@Injectable()
export class BearerStrategy
  extends PassportStrategy(CustomStrategy, BEARER_STRATEGY)
  implements OnModuleDestroy
{
  /** The name this app's guards authenticate with (see ScopedStrategyName). */
  readonly scoped = new ScopedStrategyName(BEARER_STRATEGY, this);

  constructor(private readonly auth: AuthService) {
    super();
  }

  async validate(req: StrategyRequest): Promise<AuthSession> {
    const token = bearerTokenOf(req);
    if (token === null) throw new IdentityError('AUTH.UNAUTHENTICATED', 'missing bearer token');
    return this.auth.authenticateBearer(token);
  }

  onModuleDestroy(): void {
    this.scoped.release();
  }
}
