import type { ExecutionContext } from '@nestjs/common';
import { AuthGuard } from '@nestjs/passport';

/**
 * @nestjs/passport's `AuthGuard` over strategies of this app (ADR 0026): by their scoped names (two
 * apps in one process never answer with each other's strategies), without sessions (`session: false`,
 * no express-session: every request carries its credential), and with our errors as the strategies
 * throw them. Passport's bare 401 (`UnauthorizedException`) never answers: a strategy that decides
 * nothing gets the guard's own problem. The options are passed here: admin-api registers no
 * `PassportModule` (its `AuthModuleOptions` would replace them).
 */
export abstract class StrategyGuard extends AuthGuard() {
  protected constructor(strategies: string | string[], property: 'session' | 'user') {
    super({ defaultStrategy: strategies, session: false, property });
  }

  /** The error when no strategy decided (not reached with the strategies as they are: fail closed). */
  protected abstract undecided(): Error;

  /** Authenticates the request; the result is on `req[property]`. */
  protected async authenticate(ctx: ExecutionContext): Promise<void> {
    await (super.canActivate(ctx) as Promise<boolean>);
  }

  override handleRequest<TUser = unknown>(err: unknown, user: unknown): TUser {
    if (err) throw err instanceof Error ? err : new Error('authentication failed', { cause: err });
    if (!user) throw this.undecided();
    return user as TUser;
  }
}
