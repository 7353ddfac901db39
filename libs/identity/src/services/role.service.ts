import { Injectable } from '@nestjs/common';
import { isPgError, PgErrorCodes, type Transaction, Transactions } from '@gatehouse/persistence';
import type { RoleEntity } from '../entities';
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
import { PermissionRepository } from '../repositories/permission.repository';
import { RoleRepository } from '../repositories/role.repository';
import { dedupe, samePermissions } from './permission-store';
import { PrincipalService } from './principal.service';

/** Roles and their permissions (SPEC 1.2). */
@Injectable()
export class RoleService {
  constructor(
    private readonly transactions: Transactions,
    private readonly roles: RoleRepository,
    private readonly permissions: PermissionRepository,
    private readonly principals: PrincipalService,
  ) {}

  async get(id: string, tx?: Transaction): Promise<RoleView> {
    const role = await this.roles.findById(id, tx);
    if (!role) throw new IdentityError('IDENTITY.ROLE_NOT_FOUND', `role ${id} not found`);
    return (await this.toViews([role], tx))[0];
  }

  async getMany(ids: readonly string[], tx?: Transaction): Promise<RoleView[]> {
    if (ids.length === 0) return [];
    const roles = await this.roles.findByIds(ids, tx);
    const missing = ids.filter((id) => !roles.some((r) => r.id === id));
    if (missing.length > 0)
      throw new IdentityError('IDENTITY.UNKNOWN_ROLE', `unknown role id(s): ${missing.join(', ')}`);
    return this.toViews(roles, tx);
  }

  async list(page: PageRequest & { name?: string }): Promise<Page<RoleView>> {
    const after = decodeCursor(page.cursor);
    const rows = await this.roles.list({ after, name: page.name, limit: page.limit + 1 });
    const more = rows.length > page.limit;
    const items = await this.toViews(rows.slice(0, page.limit));
    return { items, nextCursor: more ? encodeCursor(items[items.length - 1].name) : null };
  }

  async create(input: CreateRoleInput): Promise<RoleView> {
    try {
      return await this.transactions.run(async (tx) => {
        const id = await this.roles.insert(
          {
            name: input.name,
            description: input.description ?? null,
            externalGroups: normalizeGroups(input.externalGroups ?? []),
          },
          tx,
        );
        await this.permissions.replace({ roleId: id }, dedupe(input.permissions ?? []), tx);
        return this.get(id, tx);
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
      view = await this.transactions.run(async (tx) => {
        const current = await this.get(id, tx);
        if (current.builtIn && (patch.name !== undefined || patch.permissions !== undefined)) {
          throw new IdentityError(
            'IDENTITY.BUILT_IN_ROLE',
            `built-in role "${current.name}" cannot be renamed or have its permissions changed`,
          );
        }
        const groups = patch.externalGroups && normalizeGroups(patch.externalGroups);
        const groupsChange =
          groups !== undefined && groups.join('\n') !== normalizeGroups(current.externalGroups).join('\n');
        // the members through the old groups lose the role: they are told too (SPEC 2.1a)
        const before = groupsChange ? await this.principals.usersWithRole(tx, id) : [];
        const changes = { name: patch.name, description: patch.description, externalGroups: groups };
        if (!(await this.roles.updateIfCurrent(id, expected.version, changes, tx)))
          throw versionConflict(expected, current.version);
        const permissionsChange =
          patch.permissions !== undefined && !samePermissions(current.permissions, patch.permissions);
        if (permissionsChange)
          await this.permissions.replace({ roleId: id }, dedupe(patch.permissions ?? []), tx);
        if (permissionsChange || groupsChange) {
          affectedUsers = [...new Set([...before, ...(await this.principals.usersWithRole(tx, id))])];
          await this.principals.bumpVersions(tx, affectedUsers);
        }
        return this.get(id, tx);
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
    const affected = await this.transactions.run(async (tx) => {
      const current = await this.get(id, tx);
      if (current.builtIn)
        throw new IdentityError(
          'IDENTITY.BUILT_IN_ROLE',
          `built-in role "${current.name}" cannot be deleted`,
        );
      const users = await this.principals.usersWithRole(tx, id);
      await this.roles.delete(id, tx);
      await this.principals.bumpVersions(tx, users);
      return users;
    });
    await this.principals.notify(affected, 'permissions');
  }

  private async toViews(roles: RoleEntity[], tx?: Transaction): Promise<RoleView[]> {
    const perms = await this.permissions.findByOwners(
      'role_id',
      roles.map((r) => r.id),
      tx,
    );
    return roles.map((r) => ({
      id: r.id,
      name: r.name,
      description: r.description,
      permissions: perms.get(r.id) ?? [],
      externalGroups: r.externalGroups ?? [],
      builtIn: r.builtIn,
      version: r.version,
      createdAt: r.createdAt,
      updatedAt: r.updatedAt,
    }));
  }
}

/** Trimmed, without duplicates regardless of case, in the order given (first spelling kept). */
export function normalizeGroups(groups: readonly string[]): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const g of groups.map((x) => x.trim())) {
    if (g === '' || seen.has(g.toLowerCase())) continue;
    seen.add(g.toLowerCase());
    out.push(g);
  }
  return out;
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
