import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { inTransaction, isPgError, PgErrorCodes } from '@gatehouse/persistence';
import { DataSource, type EntityManager } from 'typeorm';
import { RoleEntity } from '../entities';
import { IdentityError } from '../identity.error';
import type {
  CreateRoleInput,
  ExpectedVersion,
  Page,
  PageRequest,
  RoleView,
  UpdateRoleInput,
} from '../identity.types';
import { decodeCursor, encodeCursor } from '../paging';
import { loadPermissions, replacePermissions, samePermissions } from './permission-store';
import { PrincipalService } from './principal.service';

/** Roles and their permissions (SPEC 1.2). */
@Injectable()
export class RoleService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly principals: PrincipalService,
  ) {}

  async get(id: string, manager: EntityManager = this.dataSource.manager): Promise<RoleView> {
    const role = await manager.getRepository(RoleEntity).findOne({ where: { id } });
    if (!role) throw new IdentityError('IDENTITY.ROLE_NOT_FOUND', `role ${id} not found`);
    return (await this.toViews(manager, [role]))[0];
  }

  async getMany(
    ids: readonly string[],
    manager: EntityManager = this.dataSource.manager,
  ): Promise<RoleView[]> {
    if (ids.length === 0) return [];
    const roles = await manager
      .getRepository(RoleEntity)
      .createQueryBuilder('r')
      .where('r.id = ANY(:ids)', { ids })
      .getMany();
    const missing = ids.filter((id) => !roles.some((r) => r.id === id));
    if (missing.length > 0)
      throw new IdentityError('IDENTITY.UNKNOWN_ROLE', `unknown role id(s): ${missing.join(', ')}`);
    return this.toViews(manager, roles);
  }

  async list(page: PageRequest & { name?: string }): Promise<Page<RoleView>> {
    const after = decodeCursor(page.cursor);
    const qb = this.dataSource
      .getRepository(RoleEntity)
      .createQueryBuilder('r')
      .orderBy('r.name', 'ASC')
      .take(page.limit + 1);
    if (after !== undefined) qb.andWhere('r.name > :after', { after });
    if (page.name) qb.andWhere('r.name = :name', { name: page.name });
    const rows = await qb.getMany();
    const more = rows.length > page.limit;
    const items = await this.toViews(this.dataSource.manager, rows.slice(0, page.limit));
    return { items, nextCursor: more ? encodeCursor(items[items.length - 1].name) : null };
  }

  async create(input: CreateRoleInput): Promise<RoleView> {
    try {
      return await inTransaction(this.dataSource, async (m) => {
        const role = await m
          .getRepository(RoleEntity)
          .save(
            m
              .getRepository(RoleEntity)
              .create({ name: input.name, description: input.description ?? null, builtIn: false }),
          );
        await replacePermissions(m, { roleId: role.id }, input.permissions ?? []);
        return this.get(role.id, m);
      });
    } catch (err) {
      if (isPgError(err, PgErrorCodes.UNIQUE_VIOLATION))
        throw new IdentityError('IDENTITY.ROLE_EXISTS', `a role named "${input.name}" exists`);
      throw err;
    }
  }

  /**
   * Updates a role if `expected` matches its version (no lost updates: the conditional UPDATE
   * either wins or reports a conflict). Users holding the role get their new principal.
   */
  async update(id: string, patch: UpdateRoleInput, expected: ExpectedVersion): Promise<RoleView> {
    let affectedUsers: string[] = [];
    let view: RoleView;
    try {
      view = await inTransaction(this.dataSource, async (m) => {
        const current = await this.get(id, m);
        if (current.builtIn && (patch.name !== undefined || patch.permissions !== undefined)) {
          throw new IdentityError(
            'IDENTITY.BUILT_IN_ROLE',
            `built-in role "${current.name}" cannot be renamed or have its permissions changed`,
          );
        }
        const res: [unknown[], number] = await m.query(
          `UPDATE roles SET name = COALESCE($3, name), description = CASE WHEN $4::boolean THEN $5 ELSE description END,
                  version = version + 1, updated_at = now()
            WHERE id = $1 AND version = $2`,
          [
            id,
            expected.version,
            patch.name ?? null,
            patch.description !== undefined,
            patch.description ?? null,
          ],
        );
        if (res[1] === 0) throw versionConflict(expected, current.version);
        if (patch.permissions !== undefined && !samePermissions(current.permissions, patch.permissions)) {
          await replacePermissions(m, { roleId: id }, patch.permissions);
          affectedUsers = await this.principals.usersWithRole(m, id);
          await this.principals.bumpVersions(m, affectedUsers);
        }
        return this.get(id, m);
      });
    } catch (err) {
      if (isPgError(err, PgErrorCodes.UNIQUE_VIOLATION))
        throw new IdentityError('IDENTITY.ROLE_EXISTS', `a role named "${patch.name}" exists`);
      throw err;
    }
    await this.principals.notify(affectedUsers, 'permissions');
    return view;
  }

  async delete(id: string): Promise<void> {
    const affected = await inTransaction(this.dataSource, async (m) => {
      const current = await this.get(id, m);
      if (current.builtIn)
        throw new IdentityError(
          'IDENTITY.BUILT_IN_ROLE',
          `built-in role "${current.name}" cannot be deleted`,
        );
      const users = await this.principals.usersWithRole(m, id);
      await m.query(`DELETE FROM roles WHERE id = $1`, [id]);
      await this.principals.bumpVersions(m, users);
      return users;
    });
    await this.principals.notify(affected, 'permissions');
  }

  private async toViews(m: EntityManager, roles: RoleEntity[]): Promise<RoleView[]> {
    const perms = await loadPermissions(
      m,
      roles.map((r) => r.id),
      'role_id',
    );
    return roles.map((r) => ({
      id: r.id,
      name: r.name,
      description: r.description,
      permissions: perms.get(r.id) ?? [],
      builtIn: r.builtIn,
      version: r.version,
      createdAt: r.createdAt,
      updatedAt: r.updatedAt,
    }));
  }
}

export function versionConflict(expected: ExpectedVersion, actual: number): IdentityError {
  return expected.via === 'if-match'
    ? new IdentityError(
        'IDENTITY.PRECONDITION_FAILED',
        `If-Match names version ${expected.version}, the current version is ${actual}`,
      )
    : new IdentityError(
        'IDENTITY.VERSION_CONFLICT',
        `version ${expected.version} is stale, the current version is ${actual}`,
      );
}
