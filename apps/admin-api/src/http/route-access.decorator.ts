import { applyDecorators, createParamDecorator, type ExecutionContext, SetMetadata } from '@nestjs/common';
import { ApiBearerAuth, ApiForbiddenResponse, ApiUnauthorizedResponse } from '@nestjs/swagger';
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

/** A route anybody may call. */
export const Public = () => SetMetadata(ROUTE_ACCESS, 'public' satisfies RouteAccess);

const authenticatedDocs = () =>
  applyDecorators(
    ApiBearerAuth(),
    ApiUnauthorizedResponse({ description: 'not authenticated', type: ProblemDetailsDto }),
  );

/** A route for any authenticated user, about themselves. */
export const SelfService = () =>
  applyDecorators(SetMetadata(ROUTE_ACCESS, 'self' satisfies RouteAccess), authenticatedDocs());

/** A route guarded by the caller's `http` permissions on the request path (policy and docs in one). */
export const HttpPermission = () =>
  applyDecorators(
    SetMetadata(ROUTE_ACCESS, 'http-permission' satisfies RouteAccess),
    authenticatedDocs(),
    ApiForbiddenResponse({
      description: 'authenticated, but no http permission matches this path and method',
      type: ProblemDetailsDto,
    }),
  );

/** The authenticated caller. */
export const CurrentSession = createParamDecorator((_: unknown, ctx: ExecutionContext): AuthSession => {
  const req = ctx.switchToHttp().getRequest<{ session?: AuthSession }>();
  if (!req.session) throw new Error('CurrentSession used on a public route');
  return req.session;
});
