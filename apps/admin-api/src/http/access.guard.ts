import { type CanActivate, type ExecutionContext, HttpStatus, Injectable, Logger } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import { type AuthSession, BearerStrategy, IdentityError } from '@gatehouse/identity';
import { httpAccessForMethod } from '@gatehouse/rbac';
import { AdminMetrics } from '../features/metrics/admin-metrics.service';
import { PermissionsCache } from './permissions-cache.service';
import { Problem } from './problem';
import { REACHABLE_BEFORE_MFA_ENROLLMENT, ROUTE_ACCESS, type RouteAccess } from './route-access.decorator';
import { StrategyGuard } from './strategy.guard';

/**
 * The one global guard (SPEC 2.1, 2.2): authenticates the bearer token through the Passport strategy
 * `bearer` (ADR 0026; the session on `req.session`), then checks the caller's `http` permissions
 * against the request path and method. Deny by default: a route without an access declaration is
 * refused; a public one is not authenticated.
 */
@Injectable()
export class AccessGuard extends StrategyGuard implements CanActivate {
  private readonly logger = new Logger(AccessGuard.name);

  constructor(
    private readonly reflector: Reflector,
    private readonly permissions: PermissionsCache,
    private readonly metrics: AdminMetrics,
    bearer: BearerStrategy,
  ) {
    super(bearer.scoped.name, 'session');
  }

  protected undecided(): Error {
    return new IdentityError('AUTH.UNAUTHENTICATED', 'missing bearer token');
  }

  override async canActivate(ctx: ExecutionContext): Promise<boolean> {
    if (ctx.getType() !== 'http') return true; // transport handlers are not HTTP routes
    const access = this.reflector.getAllAndOverride<RouteAccess | undefined>(ROUTE_ACCESS, [
      ctx.getHandler(),
      ctx.getClass(),
    ]);
    const req = ctx.switchToHttp().getRequest<Request & { session?: AuthSession }>();
    if (access === undefined) {
      this.logger.error(`route ${req.method} ${req.path} declares no access policy: denied`);
      throw new Problem(HttpStatus.FORBIDDEN, 'AUTH.NO_POLICY', 'route has no access policy');
    }
    if (access === 'public') return true;
    await this.authenticate(ctx);
    if (!req.session) throw this.undecided();
    // SPEC 2.1 (ADR 0020): a user who must enrol in MFA reaches only /api/me and /api/me/mfa* first
    if (
      req.session.mfaEnrollmentRequired &&
      !this.reflector.get<boolean>(REACHABLE_BEFORE_MFA_ENROLLMENT, ctx.getHandler())
    )
      throw new Problem(
        HttpStatus.FORBIDDEN,
        'AUTH.MFA_ENROLLMENT_REQUIRED',
        'MFA enrolment is required first: POST /api/me/mfa, then POST /api/me/mfa/confirm {otp}',
      );
    if (access === 'self') return true;
    // ADR 0010 (ASVS 6.4.1): a generated initial password reaches only the self routes (/api/me,
    // PUT /api/me/password, /api/logout) until it is changed
    if (req.session.passwordChangeRequired) {
      throw new Problem(
        HttpStatus.FORBIDDEN,
        'AUTH.PASSWORD_CHANGE_REQUIRED',
        'the generated initial password must be changed first: PUT /api/me/password {currentPassword, newPassword}',
      );
    }
    const kind = httpAccessForMethod(req.method);
    const permissions = await this.permissions.forSession(req.session);
    // Express routes `/api/users/` like `/api/users` (non-strict routing): check the path the router
    // matched, or `/api/users/+` would open the list route.
    const path = req.path.length > 1 && req.path.endsWith('/') ? req.path.slice(0, -1) : req.path;
    const allowed = !!kind && permissions.canHttpAccess(kind, path);
    this.metrics.httpDecision(kind === 'read' ? 'read' : 'write', allowed);
    if (allowed) return true;
    throw new Problem(
      HttpStatus.FORBIDDEN,
      'AUTH.FORBIDDEN',
      `no http permission allows ${req.method} ${req.path}`,
    );
  }
}
