import { applyDecorators, createParamDecorator, type ExecutionContext, SetMetadata } from '@nestjs/common';
import { ApiBearerAuth, ApiExtension } from '@nestjs/swagger';
import type { AuthSession } from '@gatehouse/identity';
import { ApiProblems, ApiProblemsOmit } from './api-problems.decorator';

export const ROUTE_ACCESS = 'gatehouse:route-access';

/**
 * How a route is guarded. Every route carries one of these; the global guard denies routes that
 * carry none (deny by default).
 * - `public`: no token (login, registration, password policy, health, OpenAPI).
 * - `self`: any authenticated user (the `/api/me` routes).
 * - `http-permission`: the caller's `http` permissions must match the request path for the
 *   operation of its method (SPEC 2.2).
 */
export type RouteAccess = 'public' | 'self' | 'http-permission';

/** The OpenAPI extension that states each operation's policy (read by the authorization-matrix suite). */
export const ACCESS_EXTENSION = 'x-gatehouse-access';

/** The policy, for the guard and in the OpenAPI document, from one decorator. */
const access = (policy: RouteAccess) =>
  applyDecorators(SetMetadata(ROUTE_ACCESS, policy), ApiExtension(ACCESS_EXTENSION, policy));

/** A route anybody may call (`security: []` in the OpenAPI document, see openapi.ts). */
export const Public = () => access('public');

/** What the global guard answers before the handler runs (access.guard.ts). */
const authenticatedDocs = () =>
  applyDecorators(ApiBearerAuth(), ApiProblems('AUTH.UNAUTHENTICATED', 'IDENTITY.INVALID_TOKEN'));

/** A route for any authenticated user, about themselves. */
export const SelfService = () =>
  applyDecorators(access('self'), authenticatedDocs(), ApiProblems('AUTH.MFA_ENROLLMENT_REQUIRED'));

/** A route guarded by the caller's `http` permissions on the request path (policy and docs in one). */
export const HttpPermission = () =>
  applyDecorators(
    access('http-permission'),
    authenticatedDocs(),
    ApiProblems('AUTH.FORBIDDEN', 'AUTH.MFA_ENROLLMENT_REQUIRED', 'AUTH.PASSWORD_CHANGE_REQUIRED'),
  );

export const REACHABLE_BEFORE_MFA_ENROLLMENT = 'gatehouse:reachable-before-mfa-enrollment';

/**
 * A `self` route that a session of a user who must enrol in MFA first may use (SPEC 2.1, ADR 0020):
 * `/api/me`, `/api/me/mfa*` and logout. Every other route answers 403 `AUTH.MFA_ENROLLMENT_REQUIRED`.
 */
export const ReachableBeforeMfaEnrollment = () =>
  applyDecorators(
    SetMetadata(REACHABLE_BEFORE_MFA_ENROLLMENT, true),
    ApiProblemsOmit('AUTH.MFA_ENROLLMENT_REQUIRED'),
  );

/** The authenticated caller. */
export const CurrentSession = createParamDecorator((_: unknown, ctx: ExecutionContext): AuthSession => {
  const req = ctx.switchToHttp().getRequest<{ session?: AuthSession }>();
  if (!req.session) throw new Error('CurrentSession used on a public route');
  return req.session;
});
