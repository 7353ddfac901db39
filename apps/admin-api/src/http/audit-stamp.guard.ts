import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { AuditedRequest } from '../features/audit/audit-recorder.service';
import { type AuditDeclaration, ROUTE_AUDIT } from './audited.decorator';
import { ROUTE_ACCESS, type RouteAccess } from './route-access.decorator';

/**
 * The first global guard: it only marks an `@Audited` route's request with its declaration, so that a
 * refusal by a later guard (401, 403, a forbidden escalation) can still be recorded by the problem
 * filter, which does not know the route (ADR 0016). Never refuses.
 */
@Injectable()
export class AuditStampGuard implements CanActivate {
  constructor(private readonly reflector: Reflector) {}

  canActivate(ctx: ExecutionContext): boolean {
    if (ctx.getType() !== 'http') return true;
    const declaration = this.reflector.get<AuditDeclaration | undefined>(ROUTE_AUDIT, ctx.getHandler());
    if (!declaration) return true;
    const access = this.reflector.getAllAndOverride<RouteAccess | undefined>(ROUTE_ACCESS, [
      ctx.getHandler(),
      ctx.getClass(),
    ]);
    const req = ctx.switchToHttp().getRequest<AuditedRequest>();
    req.audit = { declaration, publicRoute: access === 'public' };
    return true;
  }
}
