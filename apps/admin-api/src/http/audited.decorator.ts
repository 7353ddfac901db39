import { applyDecorators, SetMetadata } from '@nestjs/common';
import { ApiExtension } from '@nestjs/swagger';
import type { AuditAction } from '@gatehouse/audit';

export const ROUTE_AUDIT = 'gatehouse:route-audit';

/** The OpenAPI extension naming the audit action a route records. */
export const AUDIT_EXTENSION = 'x-gatehouse-audit';

/** What a route's audit event is about, and where the request names it. */
export interface AuditDeclaration {
  readonly action: AuditAction;
  /** `POST /api/login` with a `label` makes a long-lived token: recorded as this action instead. */
  readonly labelledAction?: AuditAction;
  /** The target's type (`user`, `role`, `token`, `certificate`, `registration-request`, `client-registry`). */
  readonly target: string;
  /** The path parameter that names the target (its id); else the answer's `id` (a create). */
  readonly idParam?: string;
  /** The target is the caller: their user (`user`) or the token of the request (`token`). */
  readonly targetIsCaller?: boolean;
  /** The path parameter of the user who owns the target (a token, a certificate): the target's name is their username. */
  readonly ownerParam?: string;
  /** Record a before/after of the target's whitelisted fields (users and roles, see `AUDITED_FIELDS`). */
  readonly diff?: boolean;
  /** Secrets the route replaces without a body field naming them (backup codes): recorded as changed, as a mark only. */
  readonly secrets?: readonly string[];
}

/**
 * Declares the audit event a route records (SPEC 6); the global `AuditInterceptor` records success and
 * the problem filter records failure and denial, so no handler has to remember it (ADR 0016).
 *
 * @example `@Audited({ action: 'user.update', target: 'user', idParam: 'id', diff: true })`
 */
export function Audited(declaration: AuditDeclaration): MethodDecorator {
  return applyDecorators(
    SetMetadata(ROUTE_AUDIT, declaration),
    ApiExtension(
      AUDIT_EXTENSION,
      declaration.labelledAction ? [declaration.action, declaration.labelledAction] : declaration.action,
    ),
  );
}
