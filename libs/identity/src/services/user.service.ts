import { Injectable } from '@nestjs/common';
import {
  BatchedLookup,
  isCanonicalUuid,
  isPgError,
  PgErrorCodes,
  type Transaction,
  Transactions,
} from '@gatehouse/persistence';
import type { GrantType } from '../entities';
import { IdentityError } from '../identity.error';
import type {
  CreateUserInput,
  ExpectedVersion,
  Page,
  PageRequest,
  UpdateUserInput,
  UserView,
} from '../identity.types';
import { decodeCursor, encodeCursor } from '../paging';
import { PermissionRepository } from '../repositories/permission.repository';
import { RoleRepository } from '../repositories/role.repository';
import { TokenRepository } from '../repositories/token.repository';
import { type UserFields, UserRepository } from '../repositories/user.repository';
import { PasswordHasher } from './password-hasher.service';
import { PasswordPolicyService } from './password-policy.service';
import { sameGrants, tokenKindsRevokedBy } from './grant-changes';
import { dedupe, samePermissions } from './permission-store';
import { InitialPasswordFile } from './initial-password-file.service';
import { PrincipalService } from './principal.service';
import { versionConflict } from './role.service';

/** How a user is created by another lib (the client registry): never reachable from an HTTP body. */
export interface CreateUserOptions {
  /** An argon2id hash made earlier (a registration request's password), instead of `input.password`. */
  passwordHash?: string | null;
  /** Run inside the caller's transaction. */
  transaction?: Transaction;
  /** A generated password that must be changed at the first login (the bootstrap admin, ADR 0010). */
  passwordChangeRequired?: boolean;
}

const DEFAULT_GRANT_TYPES: GrantType[] = [{ method: 'password', isRequired: false }];

/** Users, their direct permissions and role assignments (SPEC 1.3). */
@Injectable()
export class UserService {
  constructor(
    private readonly transactions: Transactions,
    private readonly repository: UserRepository,
    private readonly roles: RoleRepository,
    private readonly permissions: PermissionRepository,
    private readonly tokens: TokenRepository,
    private readonly hasher: PasswordHasher,
    private readonly policy: PasswordPolicyService,
    private readonly principals: PrincipalService,
    private readonly initialPasswordFile: InitialPasswordFile,
  ) {}

  /**
   * Outside a transaction, the look-ups of one turn of the event loop share one query
   * (`GET /api/users/{id}` under load); the views it returns are shared by callers of the same id.
   */
  private readonly byId = new BatchedLookup<string, UserView>(async (ids) => {
    const users = await this.repository.findViewsByIds(ids);
    return new Map(users.map((u) => [u.id, u]));
  });

  /** Inside a transaction pass it; outside, the read goes straight to the pool. */
  async get(id: string, tx?: Transaction): Promise<UserView> {
    const user =
      tx === undefined && isCanonicalUuid(id)
        ? await this.byId.load(id)
        : await this.repository.findView(id, tx);
    if (!user) throw new IdentityError('IDENTITY.USER_NOT_FOUND', `user ${id} not found`);
    return user;
  }

  async findByUsername(username: string): Promise<UserView | null> {
    return this.repository.findViewByUsername(username);
  }

  async count(): Promise<number> {
    return this.repository.count();
  }

  /**
   * The stored spelling of the user whose name equals `username` regardless of case (usernames are
   * unique regardless of case, SPEC 1.3; ADR 0007), or null. Logins stay exact: this is for refusing
   * names that clash.
   */
  async spellingOf(username: string): Promise<string | null> {
    return this.repository.findSpellingIgnoringCase(username);
  }

  /** Sorted by username; `username` filters by a case-insensitive substring. */
  async list(page: PageRequest & { username?: string }): Promise<Page<UserView>> {
    const rows = await this.repository.listViews({
      after: decodeCursor(page.cursor),
      usernameContains: page.username,
      limit: page.limit + 1,
    });
    const more = rows.length > page.limit;
    const items = rows.slice(0, page.limit);
    return { items, nextCursor: more ? encodeCursor(items[items.length - 1].username) : null };
  }

  async create(input: CreateUserInput, opts: CreateUserOptions = {}): Promise<UserView> {
    if (input.password !== undefined) this.policy.check(input.password, { username: input.username });
    const passwordHash =
      input.password !== undefined ? await this.hasher.hash(input.password) : (opts.passwordHash ?? null);
    try {
      return await this.transactions.join(opts.transaction, async (tx) => {
        const id = await this.repository.insert(
          {
            username: input.username,
            passwordHash,
            grantTypes: input.grantTypes ?? DEFAULT_GRANT_TYPES,
            enabled: input.enabled ?? true,
            mqttPublishPrefix: input.mqttPublishPrefix ?? null,
            enforceMfaEnrollment: input.enforceMFAEnrollment ?? false,
            passwordChangeRequired: opts.passwordChangeRequired ?? false,
          },
          tx,
        );
        await this.permissions.replace({ userId: id }, dedupe(input.permissions ?? []), tx);
        await this.replaceRoles(tx, id, input.roles ?? []);
        return this.get(id, tx);
      });
    } catch (err) {
      if (isPgError(err, PgErrorCodes.UNIQUE_VIOLATION))
        throw new IdentityError(
          'IDENTITY.USER_EXISTS',
          `a user named "${input.username}" exists (usernames are unique regardless of case)`,
        );
      throw err;
    }
  }

  /** Conditional update on `expected.version`; reports the change to the gateways after commit. */
  async update(id: string, patch: UpdateUserInput, expected: ExpectedVersion): Promise<UserView> {
    if (patch.password !== undefined) {
      const target = await this.get(id);
      // a federated user's password is the directory's (SPEC 2.1a, ADR 0024): none is stored here
      if (target.identityProvider !== 'local')
        throw new IdentityError(
          'IDENTITY.FEDERATED_USER',
          `the password of a ${target.identityProvider} user is kept by its directory, not by Gatehouse`,
        );
      this.policy.check(patch.password, { username: target.username });
    }
    const passwordHash = patch.password !== undefined ? await this.hasher.hash(patch.password) : undefined;
    const changes = { permissions: false, disabled: false, credentials: false, grants: false };
    let initialPasswordReplaced = false;
    const view = await this.transactions.run(async (tx) => {
      const current = await this.get(id, tx);
      initialPasswordReplaced = current.passwordChangeRequired;
      if (!(await this.repository.bumpVersionIfCurrent(id, expected.version, tx)))
        throw versionConflict(expected, current.version);
      const set: UserFields = {};
      if (patch.enabled !== undefined) set.enabled = patch.enabled;
      if (patch.mqttPublishPrefix !== undefined) set.mqttPublishPrefix = patch.mqttPublishPrefix;
      if (patch.grantTypes !== undefined) set.grantTypes = patch.grantTypes;
      if (patch.enforceMFAEnrollment !== undefined) set.enforceMfaEnrollment = patch.enforceMFAEnrollment;
      if (passwordHash !== undefined) {
        set.passwordHash = passwordHash;
        set.passwordChangeRequired = false;
      }
      await this.repository.updateFields(id, set, tx);
      if (patch.permissions !== undefined && !samePermissions(current.permissions, patch.permissions)) {
        await this.permissions.replace({ userId: id }, dedupe(patch.permissions), tx);
        changes.permissions = true;
      }
      if (patch.roles !== undefined && !sameSet(current.roles, patch.roles)) {
        await this.replaceRoles(tx, id, patch.roles);
        changes.permissions = true;
      }
      if (patch.mqttPublishPrefix !== undefined && patch.mqttPublishPrefix !== current.mqttPublishPrefix)
        changes.permissions = true;
      if (patch.enabled === false && current.enabled) changes.disabled = true;
      if (passwordHash !== undefined) {
        changes.credentials = true;
        await this.tokens.revokeAllOfUser(id, tx);
      }
      if (patch.grantTypes !== undefined && !sameGrants(current.grantTypes, patch.grantTypes)) {
        changes.grants = true;
        await this.tokens.revokeKindsOfUser(
          id,
          tokenKindsRevokedBy(current.grantTypes, patch.grantTypes),
          tx,
        );
      }
      if (changes.permissions) await this.principals.bumpVersions(tx, [id]);
      return this.get(id, tx);
    });
    if (passwordHash !== undefined && initialPasswordReplaced) await this.initialPasswordFile.remove();
    if (changes.disabled) await this.principals.notify([id], 'disabled');
    else if (changes.credentials) await this.principals.notify([id], 'credentials-changed');
    if (changes.grants && !changes.disabled)
      await this.principals.notify([id], 'grants-changed', { grantTypes: view.grantTypes });
    if (changes.permissions && !changes.disabled) await this.principals.notify([id], 'permissions');
    return view;
  }

  async delete(id: string): Promise<void> {
    if (!(await this.repository.delete(id)))
      throw new IdentityError('IDENTITY.USER_NOT_FOUND', `user ${id} not found`);
    await this.principals.notify([id], 'deleted');
  }

  /** Own password change (needs the current one); every token of the user stops working. */
  async changeOwnPassword(id: string, currentPassword: string, newPassword: string): Promise<void> {
    const row = await this.repository.findPasswordState(id);
    if (!row) throw new IdentityError('IDENTITY.USER_NOT_FOUND', `user ${id} not found`);
    if (!(await this.hasher.verify(row.passwordHash, currentPassword))) {
      throw new IdentityError('IDENTITY.INVALID_CURRENT_PASSWORD', 'the current password is wrong');
    }
    this.policy.check(newPassword, { username: row.username });
    const hash = await this.hasher.hash(newPassword);
    await this.transactions.run(async (tx) => {
      await this.repository.setPassword(id, hash, tx);
      await this.tokens.revokeAllOfUser(id, tx);
    });
    if (row.passwordChangeRequired) await this.initialPasswordFile.remove();
    await this.principals.notify([id], 'credentials-changed');
  }

  /**
   * Whether `password` is the user's current password (re-authentication before changing one's own
   * credentials, ASVS 6.2.3 and 7.5.1). False for a user without a password.
   */
  async verifyCurrentPassword(id: string, password: string): Promise<boolean> {
    const row = await this.repository.findPasswordState(id);
    return this.hasher.verify(row?.passwordHash, password);
  }

  /** Usernames whose generated initial password has not been changed yet (ADR 0010). */
  async usernamesWithPasswordChangeRequired(): Promise<string[]> {
    return this.repository.usernamesWithPasswordChangeRequired();
  }

  /** Makes `roleIds` the user's roles; every one must exist. */
  private async replaceRoles(tx: Transaction, userId: string, roleIds: readonly string[]): Promise<void> {
    const unique = [...new Set(roleIds)];
    const found = await this.roles.existingIds(unique, tx);
    const missing = unique.filter((r) => !found.includes(r));
    if (missing.length > 0)
      throw new IdentityError('IDENTITY.UNKNOWN_ROLE', `unknown role id(s): ${missing.join(', ')}`);
    await this.roles.replaceAssignments(userId, unique, tx);
  }
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  const sa = new Set(a);
  const sb = new Set(b);
  return sa.size === sb.size && [...sa].every((x) => sb.has(x));
}
