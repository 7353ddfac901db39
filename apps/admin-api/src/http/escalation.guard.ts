import {
  BadRequestException,
  type CanActivate,
  type ExecutionContext,
  HttpStatus,
  Injectable,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { isUUID } from 'class-validator';
import type { Request } from 'express';
import type { AuthSession } from '@gatehouse/identity';
import type { PermissionRule } from '@gatehouse/rbac';
import { type EscalationRequest, EscalationService } from '../features/shared/escalation.service';
import { MAX_VERSION } from '../features/shared/version';
import { type EscalationDeclaration, ROUTE_ESCALATION } from './escalation.decorator';
import { Problem } from './problem';

const CONTEXTS: ReadonlySet<unknown> = new Set(['mqtt', 'http']);
const OPERATIONS: ReadonlySet<unknown> = new Set(['read', 'write', 'readWrite']);

/**
 * Enforces what a route declares with `@HandsOut` (SPEC 2.2, ADR 0004, ADR 0014): the one place where
 * the no-escalation and no-takeover checks run, after the `AccessGuard` authenticated the caller and
 * before any pipe or handler. Guards run before validation, so this reads the raw path and body, strictly:
 * anything it cannot read is a 400, never a pass (the ValidationPipe would refuse it too).
 */
@Injectable()
export class EscalationGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly escalation: EscalationService,
  ) {}

  async canActivate(ctx: ExecutionContext): Promise<boolean> {
    if (ctx.getType() !== 'http') return true;
    const declaration = this.reflector.get<EscalationDeclaration | undefined>(
      ROUTE_ESCALATION,
      ctx.getHandler(),
    );
    if (declaration === undefined || declaration.handsOut === 'none') return true;
    // a policy document is checked inside its apply, against the state that apply locks (ADR 0028)
    if (declaration.to === 'policy') return true;
    const req = ctx.switchToHttp().getRequest<Request & { session?: AuthSession }>();
    if (!req.session) {
      // A public route cannot hand anything out: a declaration there is a programming error. Deny.
      throw new Problem(
        HttpStatus.FORBIDDEN,
        'AUTH.NO_POLICY',
        'route hands out access without authentication',
      );
    }
    await this.escalation.assertAllowed(
      req.session,
      declaration.to,
      declaration.handsOut,
      readRequest(req, declaration.handsOut.includes('permissions-of-version')),
    );
    return true;
  }
}

function readRequest(req: Request, namesVersion: boolean): EscalationRequest {
  const params = req.params as Record<string, string | undefined>;
  const body: unknown = req.body;
  const fields =
    typeof body === 'object' && body !== null && !Array.isArray(body)
      ? (body as Record<string, unknown>)
      : {};
  const id = params.id;
  if (id !== undefined && !isUUID(id)) throw new BadRequestException('Validation failed (uuid is expected)');
  const out: { -readonly [K in keyof EscalationRequest]: EscalationRequest[K] } = {};
  if (id !== undefined) out.targetId = id;
  if (typeof fields.username === 'string') out.username = fields.username;
  if (fields.permissions !== undefined) out.permissions = readPermissions(fields.permissions);
  if (fields.roles !== undefined) out.roles = readRoles(fields.roles);
  if (namesVersion) out.version = readVersion(fields.version);
  if (fields.externalGroups !== undefined) out.externalGroups = readGroups(fields.externalGroups);
  return out;
}

/** The body's `version` of a rollback: a version a row can have (the ValidationPipe says the same). */
function readVersion(value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > MAX_VERSION)
    throw invalid(`version must be an integer from 1 to ${MAX_VERSION}`);
  return value;
}

function readPermissions(value: unknown): PermissionRule[] {
  if (!Array.isArray(value)) throw invalid('permissions must be an array');
  return value.map((p: unknown, i) => {
    const o = typeof p === 'object' && p !== null ? (p as Record<string, unknown>) : {};
    if (!CONTEXTS.has(o.context) || !OPERATIONS.has(o.operation) || typeof o.resource !== 'string') {
      throw invalid(
        `permissions.${i} must be {context: mqtt|http, resource, operation: read|write|readWrite}`,
      );
    }
    // effect and limits as sent: the escalation check validates them (400 naming the rule)
    return {
      context: o.context,
      resource: o.resource,
      operation: o.operation,
      ...(o.effect !== undefined && o.effect !== null ? { effect: o.effect } : {}),
      ...(o.maxQos !== undefined && o.maxQos !== null ? { maxQos: o.maxQos } : {}),
      ...(o.retain !== undefined && o.retain !== null ? { retain: o.retain } : {}),
    } as PermissionRule;
  });
}

function readRoles(value: unknown): string[] {
  if (!Array.isArray(value) || !value.every((id): id is string => typeof id === 'string' && isUUID(id))) {
    throw invalid('roles must be an array of role ids (UUIDs)');
  }
  return value;
}

function readGroups(value: unknown): string[] {
  if (!Array.isArray(value) || !value.every((g): g is string => typeof g === 'string'))
    throw invalid('externalGroups must be an array of strings');
  return value;
}

const invalid = (detail: string) =>
  new Problem(HttpStatus.BAD_REQUEST, 'VALIDATION', detail, { errors: [detail] });
