import { Injectable } from '@nestjs/common';
import { IdentityError, PermissionService, PrincipalService, UserService } from '@gatehouse/identity';
import { permissionExtras } from '@gatehouse/contracts';
import { accessKindsOf, denyingRules, grantingRules } from '@gatehouse/rbac';
import type {
  AuthorizationCheckDto,
  AuthorizationCheckResponseDto,
  PermissionViewPageDto,
} from './permissions.dto';

/** The read-only permissions view and the authorization dry run (SPEC 2.3). */
@Injectable()
export class PermissionsAppService {
  constructor(
    private readonly permissions: PermissionService,
    private readonly users: UserService,
    private readonly principals: PrincipalService,
  ) {}

  /**
   * Each distinct permission (context, resource, operation, effect and limits: an allow and a deny of
   * the same resource are two) with the users and roles holding it directly.
   */
  async view(limit: number, cursor: string | undefined): Promise<PermissionViewPageDto> {
    const page = await this.permissions.listHolders({ limit, cursor });
    return {
      items: page.items.map((p) => ({
        context: p.context,
        resource: p.resource,
        operation: p.operation,
        ...permissionExtras(p),
        users: p.users,
        roles: p.roles,
      })),
      nextCursor: page.nextCursor,
    };
  }

  /**
   * Would this user be allowed? And by which permission, held directly or through which role; when a
   * deny decides (SPEC 1.4.6), which deny (`deniedBy`). `qos` / `retain` ask about a PUBLISH with them
   * (SPEC 1.4.7).
   */
  async check(dto: AuthorizationCheckDto): Promise<AuthorizationCheckResponseDto> {
    const user = dto.userId
      ? await this.users.get(dto.userId)
      : dto.username
        ? await this.users.findByUsername(dto.username)
        : null;
    if (!user) {
      throw new IdentityError(
        'IDENTITY.USER_NOT_FOUND',
        dto.userId || dto.username ? 'user not found' : 'give userId or username',
      );
    }
    const effective = await this.principals.effectivePermissions(user.id);
    const rules = effective.map((e) => ({ ...e.permission, source: e }));
    const vars = { username: user.username, clientId: dto.clientId };
    const publish =
      dto.qos !== undefined || dto.retain !== undefined
        ? { qos: dto.qos ?? 0, retain: dto.retain ?? false }
        : undefined;
    let allowed = user.enabled;
    const granted = new Map<string, (typeof rules)[number]>();
    const denied = new Map<string, (typeof rules)[number]>();
    for (const access of accessKindsOf(dto.operation)) {
      const hits = grantingRules(rules, dto.context, access, dto.resource, vars, publish);
      const denies = denyingRules(rules, dto.context, access, dto.resource, vars);
      if (hits.length === 0 || denies.length > 0) allowed = false;
      for (const h of hits) granted.set(`${h.id}:${h.source.via}`, h);
      for (const d of denies) denied.set(`${d.id}:${d.source.via}`, d);
    }
    const decidedBy = (h: (typeof rules)[number]) => ({
      permission: {
        id: h.id,
        context: h.context,
        resource: h.resource,
        operation: h.operation,
        ...permissionExtras(h),
      },
      via: h.source.via,
      ...(h.source.roleName ? { roleName: h.source.roleName } : {}),
    });
    return {
      allowed,
      grantedBy: [...granted.values()].map(decidedBy),
      deniedBy: [...denied.values()].map(decidedBy),
    };
  }
}
