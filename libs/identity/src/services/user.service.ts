import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import {
  BatchedLookup,
  inTransaction,
  isCanonicalUuid,
  isPgError,
  PgErrorCodes,
  readQuery,
} from '@gatehouse/persistence';
import { DataSource, type EntityManager } from 'typeorm';
import { UserEntity, type GrantType } from '../entities';
import { IdentityError } from '../identity.error';
import type {
  CreateUserInput,
  ExpectedVersion,
  Page,
  PageRequest,
  UpdateUserInput,
  UserView,
} from '../identity.types';
import { decodeCursor, encodeCursor, escapeLike } from '../paging';
import { PasswordHasher } from './password-hasher.service';
import { PasswordPolicyService } from './password-policy.service';
import { revokeTokensOfRemovedGrants, sameGrants } from './grant-changes';
import { permissionView, replacePermissions, samePermissions } from './permission-store';
import { InitialPasswordFile } from './initial-password-file.service';
import { PrincipalService } from './principal.service';
import { versionConflict } from './role.service';

/** How a user is created by another lib (the client registry): never reachable from an HTTP body. */
export interface CreateUserOptions {
  /** An argon2id hash made earlier (a registration request's password), instead of `input.password`. */
  passwordHash?: string | null;
  /** Run inside the caller's transaction. */
  manager?: EntityManager;
  /** A generated password that must be changed at the first login (the bootstrap admin, ADR 0010). */
  passwordChangeRequired?: boolean;
}

const DEFAULT_GRANT_TYPES: GrantType[] = [{ method: 'password', isRequired: false }];

/** Users, their direct permissions and role assignments (SPEC 1.3). */
@Injectable()
export class UserService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
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
    const users = await selectUserViews(this.dataSource, 'u.id = ANY($1::uuid[])', [ids]);
    return new Map(users.map((u) => [u.id, u]));
  });

  /** Inside a transaction pass its manager; outside, the read goes straight to the pool. */
  async get(id: string, manager?: EntityManager): Promise<UserView> {
    const user =
      manager === undefined && isCanonicalUuid(id)
        ? await this.byId.load(id)
        : (await selectUserViews(manager ?? this.dataSource, 'u.id = $1', [id]))[0];
    if (!user) throw new IdentityError('IDENTITY.USER_NOT_FOUND', `user ${id} not found`);
    return user;
  }

  async findByUsername(username: string): Promise<UserView | null> {
    const [user] = await selectUserViews(this.dataSource, 'u.username = $1', [username]);
    return user ?? null;
  }

  async count(): Promise<number> {
    return this.dataSource.getRepository(UserEntity).count();
  }

  /**
   * The stored spelling of the user whose name equals `username` regardless of case (usernames are
   * unique regardless of case, SPEC 1.3; ADR 0007), or null. Logins stay exact: this is for refusing
   * names that clash.
   */
  async spellingOf(username: string): Promise<string | null> {
    const rows: { username: string }[] = await this.dataSource.query(
      'SELECT username FROM users WHERE lower(username) = lower($1)',
      [username],
    );
    return rows[0]?.username ?? null;
  }

  /** Sorted by username; `username` filters by a case-insensitive substring. */
  async list(page: PageRequest & { username?: string }): Promise<Page<UserView>> {
    const after = decodeCursor(page.cursor);
    const where = ['true'];
    const params: unknown[] = [];
    if (after !== undefined) where.push(`u.username > $${params.push(after)}`);
    if (page.username)
      where.push(`u.username ILIKE $${params.push(`%${escapeLike(page.username)}%`)} ESCAPE '\\'`);
    const rows = await selectUserViews(this.dataSource, where.join(' AND '), params, page.limit + 1);
    const more = rows.length > page.limit;
    const items = rows.slice(0, page.limit);
    return { items, nextCursor: more ? encodeCursor(items[items.length - 1].username) : null };
  }

  async create(input: CreateUserInput, opts: CreateUserOptions = {}): Promise<UserView> {
    if (input.password !== undefined) this.policy.check(input.password, { username: input.username });
    const passwordHash =
      input.password !== undefined ? await this.hasher.hash(input.password) : (opts.passwordHash ?? null);
    const run = <T>(work: (m: EntityManager) => Promise<T>): Promise<T> =>
      opts.manager ? work(opts.manager) : inTransaction(this.dataSource, work);
    try {
      return await run(async (m) => {
        const repo = m.getRepository(UserEntity);
        const user = await repo.save(
          repo.create({
            username: input.username,
            passwordHash,
            grantTypes: input.grantTypes ?? DEFAULT_GRANT_TYPES,
            enabled: input.enabled ?? true,
            mqttPublishPrefix: input.mqttPublishPrefix ?? null,
            enforceMfaEnrollment: input.enforceMFAEnrollment ?? false,
            passwordChangeRequired: opts.passwordChangeRequired ?? false,
          }),
        );
        await replacePermissions(m, { userId: user.id }, input.permissions ?? []);
        await this.replaceRoles(m, user.id, input.roles ?? []);
        return this.get(user.id, m);
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
    if (patch.password !== undefined)
      this.policy.check(patch.password, { username: (await this.get(id)).username });
    const passwordHash = patch.password !== undefined ? await this.hasher.hash(patch.password) : undefined;
    const changes = { permissions: false, disabled: false, credentials: false, grants: false };
    let initialPasswordReplaced = false;
    const view = await inTransaction(this.dataSource, async (m) => {
      const current = await this.get(id, m);
      initialPasswordReplaced = current.passwordChangeRequired;
      const res: [unknown[], number] = await m.query(
        `UPDATE users SET version = version + 1, updated_at = now() WHERE id = $1 AND version = $2`,
        [id, expected.version],
      );
      if (res[1] === 0) throw versionConflict(expected, current.version);
      const set: Partial<UserEntity> = {};
      if (patch.enabled !== undefined) set.enabled = patch.enabled;
      if (patch.mqttPublishPrefix !== undefined) set.mqttPublishPrefix = patch.mqttPublishPrefix;
      if (patch.grantTypes !== undefined) set.grantTypes = patch.grantTypes;
      if (patch.enforceMFAEnrollment !== undefined) set.enforceMfaEnrollment = patch.enforceMFAEnrollment;
      if (passwordHash !== undefined) {
        set.passwordHash = passwordHash;
        set.passwordChangeRequired = false;
      }
      if (Object.keys(set).length > 0) await m.getRepository(UserEntity).update({ id }, set);
      if (patch.permissions !== undefined && !samePermissions(current.permissions, patch.permissions)) {
        await replacePermissions(m, { userId: id }, patch.permissions);
        changes.permissions = true;
      }
      if (patch.roles !== undefined && !sameSet(current.roles, patch.roles)) {
        await this.replaceRoles(m, id, patch.roles);
        changes.permissions = true;
      }
      if (patch.mqttPublishPrefix !== undefined && patch.mqttPublishPrefix !== current.mqttPublishPrefix)
        changes.permissions = true;
      if (patch.enabled === false && current.enabled) changes.disabled = true;
      if (passwordHash !== undefined) {
        changes.credentials = true;
        await this.revokeAllTokens(m, id);
      }
      if (patch.grantTypes !== undefined && !sameGrants(current.grantTypes, patch.grantTypes)) {
        changes.grants = true;
        await revokeTokensOfRemovedGrants(m, id, current.grantTypes, patch.grantTypes);
      }
      if (changes.permissions) await this.principals.bumpVersions(m, [id]);
      return this.get(id, m);
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
    const res = await this.dataSource.getRepository(UserEntity).delete({ id });
    if ((res.affected ?? 0) === 0) throw new IdentityError('IDENTITY.USER_NOT_FOUND', `user ${id} not found`);
    await this.principals.notify([id], 'deleted');
  }

  /** Own password change (needs the current one); every token of the user stops working. */
  async changeOwnPassword(id: string, currentPassword: string, newPassword: string): Promise<void> {
    const row = await this.dataSource.getRepository(UserEntity).findOne({
      where: { id },
      select: { id: true, username: true, passwordHash: true, passwordChangeRequired: true },
    });
    if (!row) throw new IdentityError('IDENTITY.USER_NOT_FOUND', `user ${id} not found`);
    if (!(await this.hasher.verify(row.passwordHash, currentPassword))) {
      throw new IdentityError('IDENTITY.INVALID_CURRENT_PASSWORD', 'the current password is wrong');
    }
    this.policy.check(newPassword, { username: row.username });
    const hash = await this.hasher.hash(newPassword);
    await inTransaction(this.dataSource, async (m) => {
      await m.query(
        `UPDATE users SET password_hash = $2, password_change_required = false, version = version + 1,
                updated_at = now() WHERE id = $1`,
        [id, hash],
      );
      await this.revokeAllTokens(m, id);
    });
    if (row.passwordChangeRequired) await this.initialPasswordFile.remove();
    await this.principals.notify([id], 'credentials-changed');
  }

  /**
   * Whether `password` is the user's current password (re-authentication before changing one's own
   * credentials, ASVS 6.2.3 and 7.5.1). False for a user without a password.
   */
  async verifyCurrentPassword(id: string, password: string): Promise<boolean> {
    const row = await this.dataSource
      .getRepository(UserEntity)
      .findOne({ where: { id }, select: { id: true, passwordHash: true } });
    return this.hasher.verify(row?.passwordHash, password);
  }

  /** Usernames whose generated initial password has not been changed yet (ADR 0010). */
  async usernamesWithPasswordChangeRequired(): Promise<string[]> {
    const rows: { username: string }[] = await this.dataSource.query(
      `SELECT username FROM users WHERE password_change_required ORDER BY username`,
    );
    return rows.map((r) => r.username);
  }

  private async revokeAllTokens(m: EntityManager, userId: string): Promise<void> {
    await m.query(`UPDATE tokens SET revoked_at = now() WHERE user_id = $1 AND revoked_at IS NULL`, [userId]);
  }

  private async replaceRoles(m: EntityManager, userId: string, roleIds: readonly string[]): Promise<void> {
    const unique = [...new Set(roleIds)];
    if (unique.length > 0) {
      const found: { id: string }[] = await m.query(`SELECT id FROM roles WHERE id = ANY($1::uuid[])`, [
        unique,
      ]);
      const missing = unique.filter((r) => !found.some((f) => f.id === r));
      if (missing.length > 0)
        throw new IdentityError('IDENTITY.UNKNOWN_ROLE', `unknown role id(s): ${missing.join(', ')}`);
    }
    await m.query(`DELETE FROM user_roles WHERE user_id = $1`, [userId]);
    if (unique.length > 0) {
      await m.query(`INSERT INTO user_roles (user_id, role_id) SELECT $1, unnest($2::uuid[])`, [
        userId,
        unique,
      ]);
    }
  }
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  const sa = new Set(a);
  const sb = new Set(b);
  return sa.size === sb.size && [...sa].every((x) => sb.has(x));
}

interface UserViewRow {
  id: string;
  username: string;
  identity_provider: string;
  grant_types: UserView['grantTypes'];
  enabled: boolean;
  mqtt_publish_prefix: string | null;
  enforce_mfa_enrollment: boolean;
  created_at: Date;
  updated_at: Date;
  last_login_at: Date | null;
  password_change_required: boolean;
  version: number;
  roles: string[];
  permissions: UserView['permissions'];
  certificates: {
    fingerprint: string;
    serial: string;
    notBefore: string;
    notAfter: string;
    revokedAt: string | null;
  }[];
}

/**
 * Users with their role ids, direct permissions and certificates in ONE round trip (the hot read
 * path of the admin API: `GET /api/users/{id}`).
 */
async function selectUserViews(
  on: EntityManager | DataSource,
  where: string,
  params: unknown[],
  limit?: number,
): Promise<UserView[]> {
  const sql = `SELECT u.id, u.username, u.identity_provider, u.grant_types, u.enabled, u.mqtt_publish_prefix,
            u.enforce_mfa_enrollment, u.created_at, u.updated_at, u.last_login_at, u.password_change_required, u.version,
            COALESCE((SELECT json_agg(r.role_id ORDER BY r.role_id) FROM user_roles r WHERE r.user_id = u.id), '[]') AS roles,
            COALESCE((SELECT json_agg(json_build_object('id', p.id, 'context', p.context, 'resource', p.resource, 'operation', p.operation,
                                                        'effect', p.effect, 'maxQos', p.max_qos, 'retain', p.retain)
                                      ORDER BY p.position)
                        FROM permissions p WHERE p.user_id = u.id), '[]') AS permissions,
            COALESCE((SELECT json_agg(json_build_object('fingerprint', c.fingerprint, 'serial', c.serial, 'notBefore', c.not_before,
                                                        'notAfter', c.not_after, 'revokedAt', c.revoked_at) ORDER BY c.created_at)
                        FROM user_certificates c WHERE c.user_id = u.id), '[]') AS certificates
       FROM users u WHERE ${where} ORDER BY u.username${limit === undefined ? '' : ` LIMIT $${params.length + 1}`}`;
  // the limit is a parameter: one statement text per filter shape, whatever the page size (readQuery
  // names a bounded number of statement texts)
  const values = limit === undefined ? params : [...params, Math.trunc(limit)];
  const rows: UserViewRow[] =
    on instanceof DataSource ? await readQuery(on, sql, values) : await on.query(sql, values);
  return rows.map((r) => ({
    id: r.id,
    username: r.username,
    identityProvider: r.identity_provider,
    grantTypes: r.grant_types,
    roles: r.roles,
    permissions: r.permissions.map(permissionView),
    enabled: r.enabled,
    mqttPublishPrefix: r.mqtt_publish_prefix,
    enforceMFAEnrollment: r.enforce_mfa_enrollment,
    certificates: r.certificates.map((c) => ({
      fingerprint: c.fingerprint,
      serial: c.serial,
      notBefore: new Date(c.notBefore),
      notAfter: new Date(c.notAfter),
      revokedAt: c.revokedAt === null ? null : new Date(c.revokedAt),
    })),
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    lastLoginAt: r.last_login_at,
    passwordChangeRequired: r.password_change_required,
    version: r.version,
  }));
}
