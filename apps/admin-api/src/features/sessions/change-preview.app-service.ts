import { Injectable } from '@nestjs/common';
import {
  permissionKey,
  type PermissionRuleDto,
  PreviewRevocationsResultDto,
  type PrincipalDto,
  SessionPatterns,
} from '@gatehouse/contracts';
import {
  IdentityError,
  PasswordPolicyService,
  type PermissionInput,
  PrincipalService,
  RoleService,
  UserService,
  versionConflict,
} from '@gatehouse/identity';
import { Transactions } from '@gatehouse/persistence';
import { GatewayQueries } from '../../transport/gateway-queries.service';
import type { UpdateRoleDto } from '../roles/role.dto';
import { expectedVersion } from '../shared/version';
import type { UpdateUserDto } from '../users/user.dto';
import { coverage } from './sessions.app-service';
import type { ChangePreviewDto, PreviewAffectedUserDto, PreviewPermissionDto } from './sessions.dto';

type Rule = Omit<PermissionRuleDto, never> & PermissionInput;

interface WouldBe {
  current: PrincipalDto;
  next: PrincipalDto;
}

/**
 * What a PATCH of a role or user would do, without doing it (SPEC 2.3, ADR 0022): the would-be
 * principal of each affected user is computed in memory from what the database holds now (direct
 * permissions ∪ each role's, the patched source replaced), nothing is written and no change event is
 * sent; every gateway is then asked which live subscriptions/sessions that principal would revoke.
 * The version precondition is checked as the PATCH checks it (428, 409, 412); the escalation checks
 * run before, in the guard (`@HandsOut`, the same declaration as the PATCH).
 */
@Injectable()
export class ChangePreviewAppService {
  constructor(
    private readonly roles: RoleService,
    private readonly users: UserService,
    private readonly principals: PrincipalService,
    private readonly passwordPolicy: PasswordPolicyService,
    private readonly transactions: Transactions,
    private readonly queries: GatewayQueries,
  ) {}

  async previewRole(id: string, dto: UpdateRoleDto, ifMatch: string | undefined): Promise<ChangePreviewDto> {
    const role = await this.roles.get(id);
    const expected = expectedVersion(ifMatch, dto.version);
    if (role.builtIn && (dto.name !== undefined || dto.permissions !== undefined))
      throw new IdentityError(
        'IDENTITY.BUILT_IN_ROLE',
        `built-in role "${role.name}" cannot be renamed or have its permissions changed`,
      );
    if (expected.version !== role.version) throw versionConflict(expected, role.version);
    const newRolePermissions = dto.permissions ?? role.permissions;
    const wouldBe = await this.transactions.run(async (tx) => {
      const out: WouldBe[] = [];
      for (const userId of await this.principals.usersWithRole(tx, id)) {
        const current = await this.principals.principal(userId, tx);
        if (!current) continue;
        const others = (await this.principals.effectivePermissions(userId, tx))
          .filter((e) => e.via !== id)
          .map((e) => e.permission);
        out.push({ current, next: { ...current, permissions: dedupe([...others, ...newRolePermissions]) } });
      }
      return out;
    });
    return this.answer(wouldBe);
  }

  async previewUser(id: string, dto: UpdateUserDto, ifMatch: string | undefined): Promise<ChangePreviewDto> {
    const user = await this.users.get(id);
    const expected = expectedVersion(ifMatch, dto.version);
    // The PATCH refuses a password the policy refuses (400) before it compares versions.
    if (dto.password !== undefined) this.passwordPolicy.check(dto.password, { username: user.username });
    if (expected.version !== user.version) throw versionConflict(expected, user.version);
    const current = await this.principals.principal(id);
    if (!current) return this.answer([]);
    const direct: PermissionInput[] = dto.permissions ?? user.permissions;
    const roleIds = dto.roles ?? user.roles;
    const roles = await this.roles.getMany(roleIds);
    const next: PrincipalDto = {
      ...current,
      enabled: dto.enabled ?? current.enabled,
      mqttPublishPrefix:
        dto.mqttPublishPrefix !== undefined ? dto.mqttPublishPrefix : current.mqttPublishPrefix,
      permissions: dedupe([...direct, ...roles.flatMap((r) => r.permissions)]),
      ...(dto.grantTypes !== undefined
        ? { grantTypes: dto.grantTypes.map((g) => ({ method: g.method, isRequired: g.isRequired })) }
        : {}),
    };
    return this.answer([{ current, next }], dto.password !== undefined ? [id] : []);
  }

  private async answer(wouldBe: WouldBe[], credentialsChanged: string[] = []): Promise<ChangePreviewDto> {
    const principals = wouldBe.map((w) => ({
      ...w.next,
      permissionsVersion: w.current.permissionsVersion + 1,
    }));
    const res = await this.queries.ask(
      SessionPatterns.PREVIEW,
      { principals, credentialsChanged },
      PreviewRevocationsResultDto,
    );
    const revocations = res.answers.flatMap((a) => a.revocations);
    const users: PreviewAffectedUserDto[] = wouldBe.map(({ current, next }) => {
      const before = new Map(current.permissions.map((p) => [permissionKey(p), p]));
      const after = new Map(next.permissions.map((p) => [permissionKey(p), p]));
      return {
        userId: current.userId,
        username: current.username,
        gained: [...after].filter(([k]) => !before.has(k)).map(([, p]) => view(p)),
        lost: [...before].filter(([k]) => !after.has(k)).map(([, p]) => view(p)),
        revokes: revocations
          .filter((r) => r.userId === current.userId)
          .map((r) => ({
            clientId: r.clientId,
            gatewayId: r.gatewayId,
            kind: r.kind,
            ...(r.filter !== undefined ? { filter: r.filter } : {}),
          }))
          .sort((a, b) =>
            `${a.gatewayId} ${a.clientId} ${a.filter}`.localeCompare(
              `${b.gatewayId} ${b.clientId} ${b.filter}`,
            ),
          ),
      };
    });
    return { users, gateways: coverage(res) };
  }
}

function dedupe(rules: readonly (PermissionInput | (PermissionInput & { id: string }))[]): Rule[] {
  const seen = new Map<string, Rule>();
  for (const r of rules) {
    const rule: Rule = {
      context: r.context,
      resource: r.resource,
      operation: r.operation,
      ...(r.effect !== undefined ? { effect: r.effect } : {}),
      ...(r.maxQos !== undefined ? { maxQos: r.maxQos } : {}),
      ...(r.retain !== undefined ? { retain: r.retain } : {}),
    };
    const key = permissionKey(rule);
    if (!seen.has(key)) seen.set(key, rule);
  }
  return [...seen.values()];
}

function view(p: PermissionRuleDto): PreviewPermissionDto {
  return {
    context: p.context,
    resource: p.resource,
    operation: p.operation,
    ...(p.effect !== undefined ? { effect: p.effect } : {}),
    ...(p.maxQos !== undefined ? { maxQos: p.maxQos } : {}),
    ...(p.retain !== undefined ? { retain: p.retain } : {}),
  };
}
