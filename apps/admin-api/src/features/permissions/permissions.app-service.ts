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
import { accessKindsOf, grantingRules } from '@gatehouse/rbac';
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

  /** Each distinct (context, resource, operation) with the users and roles holding it directly. */
  async view(limit: number, cursor: string | undefined): Promise<PermissionViewPageDto> {
    const after = decodeCursor(cursor);
    const key = after ? (JSON.parse(after) as [string, string, string]) : null;
    const rows: ViewRow[] = await this.dataSource.query(
      `SELECT p.context, p.resource, p.operation,
              json_agg(DISTINCT jsonb_build_object('id', u.id, 'name', u.username)) FILTER (WHERE u.id IS NOT NULL) AS users,
              json_agg(DISTINCT jsonb_build_object('id', r.id, 'name', r.name)) FILTER (WHERE r.id IS NOT NULL) AS roles
         FROM permissions p
         LEFT JOIN users u ON u.id = p.user_id
         LEFT JOIN roles r ON r.id = p.role_id
        WHERE $1::text IS NULL OR (p.context, p.resource, p.operation) > ($1::text, $2::text, $3::text)
        GROUP BY p.context, p.resource, p.operation
        ORDER BY p.context, p.resource, p.operation
        LIMIT $4`,
      [key?.[0] ?? null, key?.[1] ?? null, key?.[2] ?? null, limit + 1],
    );
    const more = rows.length > limit;
    const items: PermissionViewItemDto[] = rows.slice(0, limit).map((r) => ({
      context: r.context,
      resource: r.resource,
      operation: r.operation,
      users: r.users ?? [],
      roles: r.roles ?? [],
    }));
    const last = items[items.length - 1];
    return {
      items,
      nextCursor: more ? encodeCursor(JSON.stringify([last.context, last.resource, last.operation])) : null,
    };
  }

  /** Would this user be allowed? And by which permission, held directly or through which role. */
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
    let allowed = user.enabled;
    const granted = new Map<string, (typeof rules)[number]>();
    for (const access of accessKindsOf(dto.operation)) {
      const hits = grantingRules(rules, dto.context, access, dto.resource, vars);
      if (hits.length === 0) allowed = false;
      for (const h of hits) granted.set(`${h.id}:${h.source.via}`, h);
    }
    return {
      allowed,
      grantedBy: [...granted.values()].map((h) => ({
        permission: { id: h.id, context: h.context, resource: h.resource, operation: h.operation },
        via: h.source.via,
        ...(h.source.roleName ? { roleName: h.source.roleName } : {}),
      })),
    };
  }
}
