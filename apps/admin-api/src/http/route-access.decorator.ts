import { applyDecorators, createParamDecorator, type ExecutionContext, SetMetadata } from '@nestjs/common';
import { ApiBearerAuth, ApiExtension, ApiForbiddenResponse, ApiUnauthorizedResponse } from '@nestjs/swagger';
import type { AuthSession } from '@gatehouse/identity';
import { ProblemDetailsDto } from './problem-details.dto';

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

/** A route anybody may call. */
export const Public = () => access('public');

const authenticatedDocs = () =>
  applyDecorators(
    ApiBearerAuth(),
    ApiUnauthorizedResponse({ description: 'not authenticated', type: ProblemDetailsDto }),
  );

/** A route for any authenticated user, about themselves. */
export const SelfService = () => applyDecorators(access('self'), authenticatedDocs());

/** A route guarded by the caller's `http` permissions on the request path (policy and docs in one). */
export const HttpPermission = () =>
  applyDecorators(
    access('http-permission'),
    authenticatedDocs(),
    ApiForbiddenResponse({
      description: 'authenticated, but no http permission matches this path and method',
      type: ProblemDetailsDto,
    }),
  );

export const REACHABLE_BEFORE_MFA_ENROLLMENT = 'gatehouse:reachable-before-mfa-enrollment';

/**
 * A `self` route that a session of a user who must enrol in MFA first may use (SPEC 2.1, ADR 0020):
 * `/api/me`, `/api/me/mfa*` and logout. Every other route answers 403 `AUTH.MFA_ENROLLMENT_REQUIRED`.
 */
export const ReachableBeforeMfaEnrollment = () => SetMetadata(REACHABLE_BEFORE_MFA_ENROLLMENT, true);

/** The authenticated caller. */
export const CurrentSession = createParamDecorator((_: unknown, ctx: ExecutionContext): AuthSession => {
  const req = ctx.switchToHttp().getRequest<{ session?: AuthSession }>();
  if (!req.session) throw new Error('CurrentSession used on a public route');
  return req.session;
});
