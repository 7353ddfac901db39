import { Injectable } from '@nestjs/common';
import {
  type AuthSession,
  type Page,
  type RoleActor,
  RoleHistoryService,
  RoleService,
  type RoleVersionView,
  type RoleView,
} from '@gatehouse/identity';
import type { PageQueryDto } from '../shared/paging.dto';
import { expectedVersion } from '../shared/version';
import type { RollbackRoleDto } from './role-history.dto';
import type { CreateRoleDto, ListRolesQueryDto, UpdateRoleDto } from './role.dto';

const actorOf = (s: AuthSession): RoleActor => ({ id: s.userId, username: s.username });

/** Use cases of /api/roles (the no-escalation rule runs before, see `@HandsOut`). */
@Injectable()
export class RolesAppService {
  constructor(
    private readonly roles: RoleService,
    private readonly history: RoleHistoryService,
  ) {}

  list(q: ListRolesQueryDto): Promise<Page<RoleView>> {
    return this.roles.list({ limit: q.limit, cursor: q.cursor, name: q.name });
  }

  get(id: string): Promise<RoleView> {
    return this.roles.get(id);
  }

  create(session: AuthSession, dto: CreateRoleDto): Promise<RoleView> {
    return this.roles.create(dto, actorOf(session));
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
    return this.roles.update(id, patch, expected, actorOf(session));
  }

  versions(id: string, q: PageQueryDto): Promise<Page<RoleVersionView>> {
    return this.history.list(id, { limit: q.limit, cursor: q.cursor });
  }

  version(id: string, version: number): Promise<RoleVersionView> {
    return this.history.get(id, version);
  }

  /** A rollback may name the role's version it is based on (body or If-Match); it need not (ADR 0021). */
  rollback(
    session: AuthSession,
    id: string,
    dto: RollbackRoleDto,
    ifMatch: string | undefined,
  ): Promise<RoleView> {
    const expected =
      ifMatch !== undefined || dto.expectedVersion !== undefined
        ? expectedVersion(ifMatch, dto.expectedVersion)
        : undefined;
    return this.roles.rollback(id, dto.version, expected, actorOf(session));
  }

  delete(id: string): Promise<void> {
    return this.roles.delete(id);
  }
}
