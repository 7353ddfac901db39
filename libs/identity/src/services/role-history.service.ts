import { Injectable } from '@nestjs/common';
import { IdentityError } from '../identity.error';
import type { Page, PageRequest, RoleVersionView } from '../identity.types';
import { decodeCursor, encodeCursor } from '../paging';
import { RoleRepository } from '../repositories/role.repository';
import { RoleVersionRepository } from '../repositories/role-version.repository';

/**
 * Reads the saved versions of roles (SPEC 2.3, ADR 0021). They are written by `RoleService`, in the
 * transaction of each role write; a rollback is `RoleService.rollback`.
 */
@Injectable()
export class RoleHistoryService {
  constructor(
    private readonly roles: RoleRepository,
    private readonly versions: RoleVersionRepository,
  ) {}

  /** The role's versions, newest first. @throws IdentityError `ROLE_NOT_FOUND`, `INVALID_CURSOR` */
  async list(roleId: string, page: PageRequest): Promise<Page<RoleVersionView>> {
    const before = decodeVersionCursor(page.cursor);
    await this.requireRole(roleId);
    const rows = await this.versions.list(roleId, { before, limit: page.limit + 1 });
    const more = rows.length > page.limit;
    const items = rows.slice(0, page.limit);
    return { items, nextCursor: more ? encodeCursor(String(items[items.length - 1].version)) : null };
  }

  /** Version `version` of the role. @throws IdentityError `ROLE_NOT_FOUND`, `ROLE_VERSION_NOT_FOUND` */
  async get(roleId: string, version: number): Promise<RoleVersionView> {
    const found = await this.versions.find(roleId, version);
    if (found) return found;
    await this.requireRole(roleId);
    throw new IdentityError('IDENTITY.ROLE_VERSION_NOT_FOUND', `role ${roleId} has no version ${version}`);
  }

  private async requireRole(id: string): Promise<void> {
    if (!(await this.roles.findById(id)))
      throw new IdentityError('IDENTITY.ROLE_NOT_FOUND', `role ${id} not found`);
  }
}

function decodeVersionCursor(cursor: string | undefined): number | undefined {
  const key = decodeCursor(cursor);
  if (key === undefined) return undefined;
  if (!/^[1-9]\d{0,9}$/.test(key) || Number(key) > 2_147_483_647)
    throw new IdentityError('IDENTITY.INVALID_CURSOR', 'cursor is not one this API issued');
  return Number(key);
}
