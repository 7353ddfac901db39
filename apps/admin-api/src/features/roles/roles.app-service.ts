import { Injectable } from '@nestjs/common';
import { type AuthSession, type Page, RoleService, type RoleView } from '@gatehouse/identity';
import { addedPermissions, EscalationGuard } from '../shared/escalation.service';
import { expectedVersion } from '../shared/version';
import type { CreateRoleDto, ListRolesQueryDto, UpdateRoleDto } from './role.dto';

/** Use cases of /api/roles with the no-escalation rule in front. */
@Injectable()
export class RolesAppService {
  constructor(
    private readonly roles: RoleService,
    private readonly escalation: EscalationGuard,
  ) {}

  list(q: ListRolesQueryDto): Promise<Page<RoleView>> {
    return this.roles.list({ limit: q.limit, cursor: q.cursor, name: q.name });
  }

  get(id: string): Promise<RoleView> {
    return this.roles.get(id);
  }

  async create(session: AuthSession, dto: CreateRoleDto): Promise<RoleView> {
    await this.escalation.assertMayGrant(session, { permissions: dto.permissions });
    return this.roles.create(dto);
  }

  async update(
    session: AuthSession,
    id: string,
    dto: UpdateRoleDto,
    ifMatch: string | undefined,
  ): Promise<RoleView> {
    const current = await this.roles.get(id);
    if (dto.permissions)
      await this.escalation.assertMayGrant(session, {
        permissions: addedPermissions(current.permissions, dto.permissions),
      });
    // 428 without a version; after the authorization checks, so that a forbidden change is a 403.
    const expected = expectedVersion(ifMatch, dto.version);
    const { version: _version, ...patch } = dto;
    return this.roles.update(id, patch, expected);
  }

  delete(id: string): Promise<void> {
    return this.roles.delete(id);
  }
}
