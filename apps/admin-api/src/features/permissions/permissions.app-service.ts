import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import {
  decodeCursor,
  encodeCursor,
  IdentityError,
  PrincipalService,
  UserService,
} from '@gatehouse/identity';
import { permissionExtras } from '@gatehouse/contracts';
import { accessKindsOf, denyingRules, grantingRules } from '@gatehouse/rbac';
import type {
  AuthorizationCheckDto,
  AuthorizationCheckResponseDto,
  PermissionViewItemDto,
  PermissionViewPageDto,
} from './permissions.dto';

interface ViewRow {
  context: string;
  resource: string;
  operation: string;
  effect: string;
  max_qos: number | null;
  retain: boolean | null;
  users: { id: string; name: string }[] | null;
  roles: { id: string; name: string }[] | null;
}

/** The read-only permissions view and the authorization dry run (SPEC 2.3). */
@Injectable()
export class PermissionsAppService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly users: UserService,
    private readonly principals: PrincipalService,
  ) {}

  /**
   * Each distinct permission (context, resource, operation, effect and limits: an allow and a deny of
   * the same resource are two) with the users and roles holding it directly.
   */
  async view(limit: number, cursor: string | undefined): Promise<PermissionViewPageDto> {
    const after = decodeCursor(cursor);
    const key = after ? (JSON.parse(after) as [string, string, string, string?, number?, number?]) : null;
    // limits sort as numbers: no limit after every limit (max_qos 3, retain 2), so the key is never NULL
    const rows: ViewRow[] = await this.dataSource.query(
      `SELECT p.context, p.resource, p.operation, p.effect, p.max_qos, p.retain,
              json_agg(DISTINCT jsonb_build_object('id', u.id, 'name', u.username)) FILTER (WHERE u.id IS NOT NULL) AS users,
              json_agg(DISTINCT jsonb_build_object('id', r.id, 'name', r.name)) FILTER (WHERE r.id IS NOT NULL) AS roles
         FROM permissions p
         LEFT JOIN users u ON u.id = p.user_id
         LEFT JOIN roles r ON r.id = p.role_id
        WHERE $1::text IS NULL
           OR (p.context, p.resource, p.operation, p.effect, COALESCE(p.max_qos, 3), COALESCE(p.retain::int, 2))
              > ($1::text, $2::text, $3::text, $5::text, $6::int, $7::int)
        GROUP BY p.context, p.resource, p.operation, p.effect, p.max_qos, p.retain
        ORDER BY p.context, p.resource, p.operation, p.effect, COALESCE(p.max_qos, 3), COALESCE(p.retain::int, 2)
        LIMIT $4`,
      [
        key?.[0] ?? null,
        key?.[1] ?? null,
        key?.[2] ?? null,
        limit + 1,
        key?.[3] ?? '',
        key?.[4] ?? -1,
        key?.[5] ?? -1,
      ],
    );
    const more = rows.length > limit;
    const page = rows.slice(0, limit);
    const items: PermissionViewItemDto[] = page.map((r) => ({
      context: r.context,
      resource: r.resource,
      operation: r.operation,
      ...permissionExtras({ ...r, maxQos: r.max_qos }),
      users: r.users ?? [],
      roles: r.roles ?? [],
    }));
    const last = page[page.length - 1];
    return {
      items,
      nextCursor: more
        ? encodeCursor(
            JSON.stringify([
              last.context,
              last.resource,
              last.operation,
              last.effect,
              last.max_qos ?? 3,
              last.retain === null ? 2 : Number(last.retain),
            ]),
          )
        : null,
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
