import { Injectable } from '@nestjs/common';
import { type AuditEventInput, AuditService, auditChanges } from '@gatehouse/audit';
import {
  permissionExtras,
  type PolicyApplyResult,
  type PolicyDocument,
  type PolicyRevocation,
  PreviewRevocationsResultDto,
  type PrincipalDto,
  SessionPatterns,
} from '@gatehouse/contracts';
import {
  type PermissionInput,
  type PolicyApplyOutcome,
  type PolicyPlan,
  PolicyService,
  type RoleActor,
} from '@gatehouse/identity';
import { GatewayQueries } from '../../transport/gateway-queries.service';
import { coverage } from '../sessions/sessions.app-service';
import { PolicyDocumentValidator } from './policy-document.validator';
import { PolicyEscalation } from './policy-escalation.service';

export interface PolicyApplyRequest {
  document: unknown;
  dryRun: boolean;
  prune: boolean;
}

const NO_GATEWAYS = { answered: [], unanswered: [], partial: false };

const rule = (p: PermissionInput) => ({
  context: p.context,
  resource: p.resource,
  operation: p.operation,
  ...permissionExtras(p),
});

/**
 * Use cases of /api/policy (issue 13, ADR 0028): export, and apply with a diff, the live revocations
 * every gateway reports for it (asked after the commit and before the gateways are told, as the
 * preview routes ask), the no-escalation rule inside the apply's transaction, and the audit trail.
 */
@Injectable()
export class PolicyAppService {
  constructor(
    private readonly policy: PolicyService,
    private readonly validator: PolicyDocumentValidator,
    private readonly escalation: PolicyEscalation,
    private readonly queries: GatewayQueries,
    private readonly audit: AuditService,
  ) {}

  export(): Promise<PolicyDocument> {
    return this.policy.export();
  }

  /**
   * Validates and applies (or, `dryRun`, plans) a document as `actor`; per-entity audit events are
   * recorded here, the `policy.apply` summary by the route's `@Audited` (or by the bootstrap).
   */
  async apply(
    actor: RoleActor,
    req: PolicyApplyRequest,
    sourceAddress: string | null,
    bootstrap?: { sha256: string },
  ): Promise<PolicyApplyResult & { alreadyBootstrapped?: boolean }> {
    const input = this.validator.toInput(req.document);
    const outcome = await this.policy.apply(input, {
      prune: req.prune,
      dryRun: req.dryRun,
      actor,
      authorize: (plan) => this.escalation.assertAllowed(plan),
      ...(bootstrap ? { bootstrap } : {}),
    });
    if (outcome.alreadyBootstrapped)
      return {
        ...outcome.plan.diff,
        revokes: [],
        gateways: NO_GATEWAYS,
        applied: false,
        alreadyBootstrapped: true,
      };
    const { revokes, gateways } = await this.revokes(outcome.plan);
    if (outcome.applied) {
      await this.policy.notify(outcome.plan);
      await this.audit.record(this.entityEvents(outcome, actor, sourceAddress));
    }
    return { ...outcome.plan.diff, revokes, gateways, applied: outcome.applied };
  }

  /** Asks every gateway what the would-be principals of the affected users revoke (SPEC 2.3, ADR 0022). */
  private async revokes(
    plan: PolicyPlan,
  ): Promise<{ revokes: PolicyRevocation[]; gateways: PolicyApplyResult['gateways'] }> {
    if (plan.affected.length === 0) return { revokes: [], gateways: NO_GATEWAYS };
    const names = new Map(plan.affected.map((a) => [a.user.id, a.user.username]));
    const principals: PrincipalDto[] = plan.affected.map((a) => ({
      userId: a.user.id,
      username: a.user.username,
      enabled: a.after !== null && a.enabledAfter,
      permissions: (a.after ?? a.before).map((p) => ({
        context: p.context,
        resource: p.resource,
        operation: p.operation,
        ...(p.effect !== undefined ? { effect: p.effect } : {}),
        ...(p.maxQos !== undefined ? { maxQos: p.maxQos } : {}),
        ...(p.retain !== undefined ? { retain: p.retain } : {}),
      })),
      mqttPublishPrefix: a.user.mqttPublishPrefix,
      permissionsVersion: a.user.permissionsVersion + 1,
      grantTypes: a.user.grantTypes.map((g) => ({ method: g.method, isRequired: g.isRequired })),
    }));
    const res = await this.queries.ask(
      SessionPatterns.PREVIEW,
      { principals, credentialsChanged: [] },
      PreviewRevocationsResultDto,
    );
    const revokes = res.answers
      .flatMap((a) => a.revocations)
      .map((r) => ({
        clientId: r.clientId,
        userId: r.userId,
        username: names.get(r.userId) ?? '',
        gatewayId: r.gatewayId,
        kind: r.kind,
        ...(r.filter !== undefined ? { filter: r.filter } : {}),
      }))
      .sort((a, b) =>
        `${a.username} ${a.gatewayId} ${a.clientId} ${a.filter ?? ''}`.localeCompare(
          `${b.username} ${b.gatewayId} ${b.clientId} ${b.filter ?? ''}`,
        ),
      );
    return { revokes, gateways: coverage(res) };
  }

  /** One event per role created, changed or deleted and per existing user changed or deleted (ADR 0028). */
  private entityEvents(
    outcome: PolicyApplyOutcome,
    actor: RoleActor,
    sourceAddress: string | null,
  ): AuditEventInput[] {
    const { plan } = outcome;
    const events: AuditEventInput[] = [];
    const event = (
      action: AuditEventInput['action'],
      type: 'role' | 'user',
      id: string | null,
      name: string,
      before: Record<string, unknown> | null,
      after: Record<string, unknown> | null,
    ) =>
      events.push({
        action,
        result: 'success',
        actor,
        target: { type, id, name },
        changes: auditChanges(type, before, after),
        sourceAddress,
      });
    const roleState = (r: { name: string; description: string | null; permissions: PermissionInput[] }) => ({
      name: r.name,
      description: r.description,
      permissions: r.permissions.map(rule),
    });
    for (const r of plan.roles.created)
      event('role.create', 'role', outcome.roleIds.get(r.name) ?? null, r.name, null, roleState(r));
    for (const c of plan.roles.changed)
      event('role.update', 'role', c.current.id, c.next.name, roleState(c.current), roleState(c.next));
    for (const r of plan.roles.deleted) event('role.delete', 'role', r.id, r.name, roleState(r), null);
    const roleId = (name: string) => outcome.roleIds.get(name) ?? name;
    for (const c of plan.users.changed) {
      event(
        'user.update',
        'user',
        c.current.id,
        c.current.username,
        {
          username: c.current.username,
          enabled: c.current.enabled,
          roles: c.current.roleIds,
          permissions: c.current.permissions.map(rule),
        },
        {
          username: c.current.username,
          enabled: c.next.enabled,
          roles: c.next.roles.map(roleId),
          permissions: c.next.permissions.map(rule),
        },
      );
    }
    for (const u of plan.users.deleted)
      event(
        'user.delete',
        'user',
        u.id,
        u.username,
        { username: u.username, enabled: u.enabled, roles: u.roleIds, permissions: u.permissions.map(rule) },
        null,
      );
    return events;
  }
}
