import { Injectable } from '@nestjs/common';
import { type AuthSession, type Page, RoleService, type RoleView } from '@gatehouse/identity';
import { expectedVersion } from '../shared/version';
import type { CreateRoleDto, ListRolesQueryDto, UpdateRoleDto } from './role.dto';

/** Use cases of /api/roles (the no-escalation rule runs before, see `@HandsOut`). */
@Injectable()
export class RolesAppService {
  constructor(private readonly roles: RoleService) {}

  list(q: ListRolesQueryDto): Promise<Page<RoleView>> {
    return this.roles.list({ limit: q.limit, cursor: q.cursor, name: q.name });
  }

  get(id: string): Promise<RoleView> {
    return this.roles.get(id);
  }

  create(session: AuthSession, dto: CreateRoleDto): Promise<RoleView> {
    return this.roles.create(dto);
  }

  async update(
    session: AuthSession,
    id: string,
    dto: UpdateRoleDto,
    ifMatch: string | undefined,
  ): Promise<RoleView> {
    // 428 without a version; after the authorization checks, so that a forbidden change is a 403.
    const expected = expectedVersion(ifMatch, dto.version);
    const { version: _version, ...patch } = dto;
    return this.roles.update(id, patch, expected);
  }

  delete(id: string): Promise<void> {
    return this.roles.delete(id);
  }
}
