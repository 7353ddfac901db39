import { Injectable } from '@nestjs/common';
import { isPgError, PgErrorCodes, type Transaction, Transactions } from '@gatehouse/persistence';
import type { RoleEntity } from '../entities';
import { IdentityError } from '../identity.error';
import type {
  CreateRoleInput,
  ExpectedVersion,
  Page,
  PageRequest,
  RoleActor,
  RoleView,
  UpdateRoleInput,
} from '../identity.types';
import { decodeCursor, encodeCursor } from '../paging';
import { PermissionRepository } from '../repositories/permission.repository';
import { RoleRepository } from '../repositories/role.repository';
import { RoleVersionRepository } from '../repositories/role-version.repository';
import { dedupe, samePermissions } from './permission-store';
import { PrincipalService } from './principal.service';
import { contentChanges, roleContent, sameContent } from './role-content';

/** Roles and their permissions (SPEC 1.2). */
@Injectable()
export class RoleService {
  constructor(
    private readonly transactions: Transactions,
    private readonly roles: RoleRepository,
    private readonly permissions: PermissionRepository,
    private readonly principals: PrincipalService,
    private readonly versions: RoleVersionRepository,
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

  /** Creates a role and its version 1 (ADR 0021), in one transaction. */
  async create(input: CreateRoleInput, actor: RoleActor | null = null): Promise<RoleView> {
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
        const view = await this.get(id, tx);
        const content = roleContent(view);
        await this.versions.append(
          { roleId: id, content, kind: 'create', changes: contentChanges(null, content), actor },
          tx,
        );
        return view;
      });
    } catch (err) {
      if (isPgError(err, PgErrorCodes.UNIQUE_VIOLATION))
        throw new IdentityError('IDENTITY.ROLE_EXISTS', `a role named "${input.name}" exists`);
      throw err;
    }
  }

  /**
   * Updates a role if `expected` matches its version (no lost updates: the conditional UPDATE
   * either wins or reports a conflict). Users holding the role get their new principal. A change of
   * content is saved as the role's next version, in the same transaction (ADR 0021).
   */
  update(
    id: string,
    patch: UpdateRoleInput,
    expected: ExpectedVersion,
    actor: RoleActor | null = null,
  ): Promise<RoleView> {
    return this.write(id, expected, actor, async () => ({ patch, kind: 'update' as const }));
  }

  /**
   * Rollback (SPEC 2.3, ADR 0021): gives the role the content of its version `toVersion` as a NEW
   * version (history is never rewritten), through the same write as an update (built-in rules,
   * optimistic lock, live change to the gateways). `expected` (optional) is the role's version the
   * caller saw; without it the rollback applies to whatever the role is now.
   * @throws IdentityError `ROLE_VERSION_NOT_FOUND`, `ROLLBACK_NO_CHANGE`, `VERSION_CONFLICT`/`PRECONDITION_FAILED`
   */
  rollback(
    id: string,
    toVersion: number,
    expected: ExpectedVersion | undefined,
    actor: RoleActor | null = null,
  ): Promise<RoleView> {
    return this.write(id, expected, actor, async (current, tx) => {
      const target = await this.versions.find(id, toVersion, tx);
      if (!target)
        throw new IdentityError('IDENTITY.ROLE_VERSION_NOT_FOUND', `role ${id} has no version ${toVersion}`);
      // a stale caller hears so before whether its rollback would change anything
      if (expected !== undefined && expected.version !== current.version)
        throw versionConflict(expected, current.version);
      if (sameContent(roleContent(current), target)) {
        throw new IdentityError(
          'IDENTITY.ROLLBACK_NO_CHANGE',
          `the role's content is already that of version ${toVersion}: nothing to roll back`,
        );
      }
      // only what differs, as a PATCH would send it (a built-in role may get its description back)
      const patch: UpdateRoleInput = {
        ...(target.name !== current.name ? { name: target.name } : {}),
        ...(target.description !== current.description ? { description: target.description } : {}),
        ...(!samePermissions(current.permissions, target.permissions)
          ? { permissions: target.permissions }
          : {}),
      };
      return { patch, kind: 'rollback' as const, rolledBackTo: toVersion };
    });
  }

  /**
   * The one write of an existing role: `plan` turns the current role into a patch (or throws); the
   * patch is applied under the optimistic lock (`expected`, else the version just read), and a change
   * of content is appended to the history. Holders of the role get their new principal after commit.
   */
  private async write(
    id: string,
    expected: ExpectedVersion | undefined,
    actor: RoleActor | null,
    plan: (
      current: RoleView,
      tx: Transaction,
    ) => Promise<{ patch: UpdateRoleInput; kind: 'update' | 'rollback'; rolledBackTo?: number }>,
  ): Promise<RoleView> {
    let affectedUsers: string[] = [];
    let view: RoleView;
    let patch: UpdateRoleInput = {};
    try {
      view = await this.transactions.run(async (tx) => {
        const current = await this.get(id, tx);
        const planned = await plan(current, tx);
        patch = planned.patch;
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
        const lock = expected ?? { version: current.version, via: 'body' as const };
        if (!(await this.roles.updateIfCurrent(id, lock.version, changes, tx)))
          throw versionConflict(lock, current.version);
        const permissionsChange =
          patch.permissions !== undefined && !samePermissions(current.permissions, patch.permissions);
        if (permissionsChange)
          await this.permissions.replace({ roleId: id }, dedupe(patch.permissions ?? []), tx);
        if (permissionsChange || groupsChange) {
          affectedUsers = [...new Set([...before, ...(await this.principals.usersWithRole(tx, id))])];
          await this.principals.bumpVersions(tx, affectedUsers);
        }
        const updated = await this.get(id, tx);
        await this.recordVersion(current, updated, planned, actor, tx);
        return updated;
      });
    } catch (err) {
      if (isPgError(err, PgErrorCodes.UNIQUE_VIOLATION))
        throw new IdentityError('IDENTITY.ROLE_EXISTS', `a role named "${patch.name}" exists`);
      throw err;
    }
    await this.principals.notify(affectedUsers, 'permissions');
    return view;
  }

  /**
   * Appends `after` as the next version when its content differs from `before`. A role without any
   * version (written around this service) first gets `before` as its version 1.
   */
  private async recordVersion(
    before: RoleView,
    after: RoleView,
    how: { kind: 'update' | 'rollback'; rolledBackTo?: number },
    actor: RoleActor | null,
    tx: Transaction,
  ): Promise<void> {
    const was = roleContent(before);
    const is = roleContent(after);
    if (sameContent(was, is)) return;
    if (!(await this.versions.latest(before.id, tx))) {
      await this.versions.append(
        { roleId: before.id, content: was, kind: 'backfill', changes: null, actor: null },
        tx,
      );
    }
    await this.versions.append(
      {
        roleId: before.id,
        content: is,
        kind: how.kind,
        rolledBackTo: how.rolledBackTo ?? null,
        changes: contentChanges(was, is),
        actor,
      },
      tx,
    );
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
