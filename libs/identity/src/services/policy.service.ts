import { Injectable } from '@nestjs/common';
import {
  POLICY_API_VERSION,
  POLICY_KIND,
  type PolicyDocument,
  type PolicyRole,
  type PolicyUser,
  toPolicyPermission,
} from '@gatehouse/contracts';
import { isPgError, PgErrorCodes, type Transaction, Transactions } from '@gatehouse/persistence';
import type { GrantType } from '../entities';
import { IdentityError } from '../identity.error';
import type { RoleActor } from '../identity.types';
import {
  type OwnedPermission,
  PolicyRepository,
  type PolicyRoleVersion,
} from '../repositories/policy.repository';
import { type PolicyInput, type PolicyPlan, isEmptyPlan, planPolicy } from './policy-plan';
import { PrincipalService } from './principal.service';
import { contentChanges, roleContent, sameContent } from './role-content';

/** New users of a document: no password (ADR 0028), the grant types of `POST /api/users` without one. */
const NEW_USER_GRANT_TYPES: GrantType[] = [{ method: 'password', isRequired: false }];

export interface PolicyApplyOptions {
  prune: boolean;
  dryRun: boolean;
  /** Who applies (the caller, or the initial admin for the bootstrap file); null: nobody is protected. */
  actor: RoleActor | null;
  /**
   * Runs on the plan, under the lock, before anything is written (the no-escalation rule, which lives
   * with admin-api's rbac checks): throw to refuse, and nothing is applied.
   */
  authorize(plan: PolicyPlan): void | Promise<void>;
  /** The bootstrap file: applied only when no bootstrap is recorded, and recorded in the same transaction. */
  bootstrap?: { sha256: string };
}

/** What an apply did: the plan, and the ids of what it created (by name). */
export interface PolicyApplyOutcome {
  plan: PolicyPlan;
  applied: boolean;
  roleIds: ReadonlyMap<string, string>;
  userIds: ReadonlyMap<string, string>;
  /** Set for a bootstrap apply that found one recorded already: nothing was done. */
  alreadyBootstrapped?: boolean;
}

/**
 * Policy as code (issue 13, ADR 0028): the whole policy (roles with their permissions and directory
 * groups, users' role assignments and direct permissions) exported as one document and applied from one,
 * in one transaction under an advisory lock, with set-based writes; the gateways are told afterwards
 * ({@link notify}), as for the role and user routes.
 */
@Injectable()
export class PolicyService {
  constructor(
    private readonly transactions: Transactions,
    private readonly repository: PolicyRepository,
    private readonly principals: PrincipalService,
  ) {}

  /** The policy as a document, in a stable order (roles by name, users by username, role names sorted). */
  async export(): Promise<PolicyDocument> {
    const { roles, users } = await this.transactions.run(async (tx) => {
      await this.repository.lock(tx);
      // the advisory lock keeps applies out; rows are not locked (a login may update its user meanwhile)
      return { roles: await this.repository.roles(tx, false), users: await this.repository.users(tx, false) };
    });
    const names = new Map(roles.map((r) => [r.id, r.name]));
    // sorted here, not by the database's collation: the same order on every server
    roles.sort((a, b) => compare(a.name, b.name));
    users.sort((a, b) => compare(a.username, b.username));
    return {
      apiVersion: POLICY_API_VERSION,
      kind: POLICY_KIND,
      roles: roles.map((r): PolicyRole => ({
        name: r.name,
        ...(r.description !== null ? { description: r.description } : {}),
        permissions: r.permissions.map(toPolicyPermission),
        ...(r.externalGroups.length > 0 ? { externalGroups: [...r.externalGroups] } : {}),
      })),
      users: users.map((u): PolicyUser => ({
        username: u.username,
        ...(u.enabled ? {} : { enabled: false }),
        ...(u.roleIds.length > 0 ? { roles: u.roleIds.map((id) => names.get(id) ?? id).sort(compare) } : {}),
        ...(u.permissions.length > 0 ? { permissions: u.permissions.map(toPolicyPermission) } : {}),
      })),
    };
  }

  /**
   * Plans the document against the state read under the lock, lets `authorize` refuse, and (unless a dry
   * run, or the plan is empty) writes it in the same transaction: all or nothing.
   * @throws IdentityError `POLICY_INVALID`, `UNKNOWN_ROLE`, `BUILT_IN_ROLE`, `USER_EXISTS`, `LAST_ADMIN`, `POLICY_REMOVES_CALLER`
   */
  async apply(input: PolicyInput, opts: PolicyApplyOptions): Promise<PolicyApplyOutcome> {
    try {
      return await this.transactions.run(async (tx) => {
        await this.repository.lock(tx);
        if (opts.bootstrap && (await this.repository.bootstrapRecorded(tx))) {
          return {
            plan: planPolicy(
              { roles: [], users: [] },
              { roles: [], users: [] },
              { prune: false, callerId: null },
            ),
            applied: false,
            roleIds: new Map(),
            userIds: new Map(),
            alreadyBootstrapped: true,
          };
        }
        // an apply locks the rows it may write: a concurrent PATCH waits, then meets the new version
        const write = !opts.dryRun;
        const state = {
          roles: await this.repository.roles(tx, write),
          users: await this.repository.users(tx, write),
        };
        const plan = planPolicy(input, state, { prune: opts.prune, callerId: opts.actor?.id ?? null });
        await opts.authorize(plan);
        if (opts.dryRun) return { plan, applied: false, roleIds: new Map(), userIds: new Map() };
        const ids = isEmptyPlan(plan)
          ? { roleIds: new Map<string, string>(), userIds: new Map<string, string>() }
          : await this.write(plan, opts.actor, tx);
        if (opts.bootstrap) await this.repository.recordBootstrap(opts.bootstrap.sha256, plan.diff, tx);
        return { plan, applied: true, ...ids };
      });
    } catch (err) {
      if (isPgError(err, PgErrorCodes.UNIQUE_VIOLATION))
        throw new IdentityError(
          'IDENTITY.USER_EXISTS',
          'a name in the document clashes with one created meanwhile (names are unique); apply again',
        );
      throw err;
    }
  }

  /** After commit: tells every gateway what changed for existing users (new users have no session yet). */
  async notify(plan: PolicyPlan): Promise<void> {
    const deleted = plan.affected.filter((a) => a.after === null).map((a) => a.user.id);
    const disabled = plan.affected
      .filter((a) => a.after !== null && a.user.enabled && !a.enabledAfter)
      .map((a) => a.user.id);
    const changed = plan.affected.filter((a) => a.after !== null && a.enabledAfter).map((a) => a.user.id);
    await this.principals.notify(deleted, 'deleted');
    await this.principals.notify(disabled, 'disabled');
    await this.principals.notify(changed, 'permissions');
  }

  private async write(
    plan: PolicyPlan,
    actor: RoleActor | null,
    tx: Transaction,
  ): Promise<{ roleIds: Map<string, string>; userIds: Map<string, string> }> {
    const r = this.repository;
    const { roles, users } = plan;
    await r.deleteUsers(
      users.deleted.map((u) => u.id),
      tx,
    );
    await r.deleteRoles(
      roles.deleted.map((x) => x.id),
      tx,
    );

    // roles
    const createdRoleIds = await r.insertRoles(roles.created, tx);
    await r.updateRoles(
      roles.changed.map((c) => ({
        id: c.current.id,
        description: c.next.description,
        externalGroups: c.next.externalGroups,
      })),
      tx,
    );
    const roleIds = new Map<string, string>();
    for (const [name, role] of plan.rolesBefore) roleIds.set(name, role.id);
    for (const [name, id] of createdRoleIds) roleIds.set(name, id);
    const rolePermissionOwners: string[] = [];
    const rolePermissionRows: OwnedPermission[] = [];
    for (const role of [
      ...roles.created,
      ...roles.changed.filter((c) => c.permissionsChanged).map((c) => c.next),
    ]) {
      const id = roleIds.get(role.name) as string;
      rolePermissionOwners.push(id);
      role.permissions.forEach((permission, position) =>
        rolePermissionRows.push({ owner: id, permission, position }),
      );
    }
    await r.replacePermissions('role_id', rolePermissionOwners, rolePermissionRows, tx);

    // users
    const createdUserIds = await r.insertUsers(users.created, NEW_USER_GRANT_TYPES, tx);
    await r.updateUsers(
      users.changed.map((c) => ({ id: c.current.id, enabled: c.next.enabled })),
      tx,
    );
    const idOf = (username: string, existing?: string): string =>
      existing ?? (createdUserIds.get(username) as string);
    const permissionOwners: string[] = [];
    const permissionRows: OwnedPermission[] = [];
    const assignmentOwners: string[] = [];
    const assignments: { userId: string; roleId: string }[] = [];
    const writes = [
      ...users.created.map((next) => ({ next, id: idOf(next.username), perms: true, roles: true })),
      ...users.changed.map((c) => ({
        next: c.next,
        id: c.current.id,
        perms: c.permissionsChanged,
        roles: c.rolesChanged,
      })),
    ];
    for (const w of writes) {
      if (w.perms) {
        permissionOwners.push(w.id);
        w.next.permissions.forEach((permission, position) =>
          permissionRows.push({ owner: w.id, permission, position }),
        );
      }
      if (w.roles) {
        assignmentOwners.push(w.id);
        for (const name of w.next.roles)
          assignments.push({ userId: w.id, roleId: roleIds.get(name) as string });
      }
    }
    await r.replacePermissions('user_id', permissionOwners, permissionRows, tx);
    await r.replaceAssignments(assignmentOwners, assignments, tx);
    await r.bumpPermissionsVersions(
      plan.affected.filter((a) => a.after !== null).map((a) => a.user.id),
      tx,
    );
    await r.appendRoleVersions(await this.roleVersions(plan, createdRoleIds, actor, tx), tx);
    return { roleIds, userIds: createdUserIds };
  }

  /** Version 1 of each created role; the next version of each role whose content changed (ADR 0021). */
  private async roleVersions(
    plan: PolicyPlan,
    createdRoleIds: ReadonlyMap<string, string>,
    actor: RoleActor | null,
    tx: Transaction,
  ): Promise<PolicyRoleVersion[]> {
    const out: PolicyRoleVersion[] = [];
    for (const role of plan.roles.created) {
      const content = roleContent(role);
      out.push({
        roleId: createdRoleIds.get(role.name) as string,
        version: 1,
        content,
        kind: 'create',
        changes: contentChanges(null, content),
        actor,
      });
    }
    const changed = plan.roles.changed.filter(
      (c) => !sameContent(roleContent(c.current), roleContent(c.next)),
    );
    const latest = await this.repository.latestRoleVersions(
      changed.map((c) => c.current.id),
      tx,
    );
    for (const c of changed) {
      const was = roleContent(c.current);
      const is = roleContent(c.next);
      let version = latest.get(c.current.id) ?? 0;
      if (version === 0) {
        // a role without history (written around the services) first gets its current content as version 1
        out.push({
          roleId: c.current.id,
          version: ++version,
          content: was,
          kind: 'backfill',
          changes: null,
          actor: null,
        });
      }
      out.push({
        roleId: c.current.id,
        version: version + 1,
        content: is,
        kind: 'update',
        changes: contentChanges(was, is),
        actor,
      });
    }
    return out;
  }
}

const compare = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
