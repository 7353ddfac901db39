import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { managerOf, readQuery, type Transaction } from '@gatehouse/persistence';
import type { DataSource } from 'typeorm';
import { type GrantType, UserEntity } from '../entities';
import type { UserView } from '../identity.types';
import { escapeLike } from '../paging';
import { permissionView } from './permission.repository';

/** The columns of a new user (the rest take their defaults). */
export interface NewUser {
  username: string;
  passwordHash: string | null;
  grantTypes: GrantType[];
  enabled: boolean;
  mqttPublishPrefix: string | null;
  enforceMfaEnrollment: boolean;
  passwordChangeRequired: boolean;
}

/** A federated user seen for the first time (SPEC 2.1a, ADR 0024): no password is stored. */
export interface NewFederatedUser {
  username: string;
  identityProvider: 'ldap' | 'oidc';
  externalIssuer: string;
  externalSubject: string;
  externalGroups: string[];
}

/** What may change on a user besides its version (an update of the user's own row). */
export type UserFields = Partial<
  Pick<
    UserEntity,
    | 'enabled'
    | 'mqttPublishPrefix'
    | 'grantTypes'
    | 'enforceMfaEnrollment'
    | 'passwordHash'
    | 'passwordChangeRequired'
  >
>;

/** A user with the password hash, for a credential check only. */
export type UserWithPasswordHash = UserEntity;

/** The user as a gateway's principal needs it (without the permissions). */
export interface PrincipalRow {
  id: string;
  username: string;
  enabled: boolean;
  mqttPublishPrefix: string | null;
  permissionsVersion: number;
  grantTypes: GrantType[];
}

/** The `users` table (with the user view, which also reads role assignments, permissions and certificates). */
@Injectable()
export class UserRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /**
   * Views of the users with these ids, straight on the pool (the hot read path; ids must be canonical
   * uuids, see `isCanonicalUuid`).
   */
  findViewsByIds(ids: readonly string[]): Promise<UserView[]> {
    return this.selectViews(undefined, 'u.id = ANY($1::uuid[])', [ids]);
  }

  /** The view of one user, inside `tx` when given; null when there is none. */
  async findView(id: string, tx?: Transaction): Promise<UserView | null> {
    return (await this.selectViews(tx, 'u.id = $1', [id]))[0] ?? null;
  }

  /** The view of the user named exactly `username` (case-sensitive, as logins are: ADR 0007). */
  async findViewByUsername(username: string): Promise<UserView | null> {
    return (await this.selectViews(undefined, 'u.username = $1', [username]))[0] ?? null;
  }

  /**
   * A page of views sorted by username: names after `after`, containing `usernameContains` regardless of
   * case (LIKE wildcards in it match literally), at most `limit`.
   */
  listViews(q: { after?: string; usernameContains?: string; limit: number }): Promise<UserView[]> {
    const where = ['true'];
    const params: unknown[] = [];
    if (q.after !== undefined) where.push(`u.username > $${params.push(q.after)}`);
    if (q.usernameContains)
      where.push(`u.username ILIKE $${params.push(`%${escapeLike(q.usernameContains)}%`)} ESCAPE '\\'`);
    return this.selectViews(undefined, where.join(' AND '), params, q.limit);
  }

  count(): Promise<number> {
    return this.dataSource.getRepository(UserEntity).count();
  }

  /** The stored spelling of the user whose name equals `username` regardless of case, or null. */
  async findSpellingIgnoringCase(username: string): Promise<string | null> {
    const rows: { username: string }[] = await this.dataSource.query(
      'SELECT username FROM users WHERE lower(username) = lower($1)',
      [username],
    );
    return rows[0]?.username ?? null;
  }

  /** Inserts a user; rejects with a unique violation when the name is taken regardless of case. */
  async insert(user: NewUser, tx?: Transaction): Promise<string> {
    const repo = managerOf(this.dataSource, tx).getRepository(UserEntity);
    return (await repo.save(repo.create(user))).id;
  }

  /**
   * Bumps the version (and `updated_at`) if it is still `expectedVersion`: the optimistic lock of an
   * update. False when the user is gone or its version moved on.
   */
  async bumpVersionIfCurrent(id: string, expectedVersion: number, tx?: Transaction): Promise<boolean> {
    const res: [unknown[], number] = await managerOf(this.dataSource, tx).query(
      `UPDATE users SET version = version + 1, updated_at = now() WHERE id = $1 AND version = $2`,
      [id, expectedVersion],
    );
    return res[1] > 0;
  }

  /** Sets the given columns (nothing else; the version is the caller's, see {@link bumpVersionIfCurrent}). */
  async updateFields(id: string, fields: UserFields, tx?: Transaction): Promise<void> {
    if (Object.keys(fields).length === 0) return;
    await managerOf(this.dataSource, tx).getRepository(UserEntity).update({ id }, fields);
  }

  /** Replaces the password hash, clears `password_change_required` and bumps the version. */
  async setPassword(id: string, passwordHash: string, tx?: Transaction): Promise<void> {
    await managerOf(this.dataSource, tx).query(
      `UPDATE users SET password_hash = $2, password_change_required = false, version = version + 1,
              updated_at = now() WHERE id = $1`,
      [id, passwordHash],
    );
  }

  /** Replaces the grant types and bumps the version. */
  async setGrantTypes(id: string, grantTypes: readonly GrantType[], tx?: Transaction): Promise<void> {
    await managerOf(this.dataSource, tx).query(
      `UPDATE users SET grant_types = $2::jsonb, version = version + 1, updated_at = now() WHERE id = $1`,
      [id, JSON.stringify(grantTypes)],
    );
  }

  /** The user's grant types, or null when there is no such user. */
  async findGrantTypes(id: string, tx?: Transaction): Promise<GrantType[] | null> {
    const user = await managerOf(this.dataSource, tx)
      .getRepository(UserEntity)
      .findOne({ where: { id }, select: { id: true, grantTypes: true } });
    return user?.grantTypes ?? null;
  }

  /** Marks the users' effective permissions as changed (`permissions_version + 1`). */
  async bumpPermissionsVersions(ids: readonly string[], tx?: Transaction): Promise<void> {
    if (ids.length === 0) return;
    await managerOf(this.dataSource, tx).query(
      `UPDATE users SET permissions_version = permissions_version + 1 WHERE id = ANY($1::uuid[])`,
      [ids],
    );
  }

  /** Deletes the user (its tokens, permissions, roles and certificates go with it). False when absent. */
  async delete(id: string): Promise<boolean> {
    const res = await this.dataSource.getRepository(UserEntity).delete({ id });
    return (res.affected ?? 0) > 0;
  }

  /**
   * The federated user bound to (provider, issuer, subject): an LDAP DN compared regardless of case, an
   * OIDC `sub` exactly (ADR 0023).
   */
  findByExternalSubject(
    provider: string,
    issuer: string,
    subject: string,
    tx?: Transaction,
  ): Promise<UserWithPasswordHash | null> {
    return managerOf(this.dataSource, tx)
      .getRepository(UserEntity)
      .createQueryBuilder('u')
      .addSelect('u.passwordHash')
      .where('u.identity_provider = :provider AND u.external_issuer = :issuer', { provider, issuer })
      .andWhere(
        provider === 'ldap' ? 'lower(u.external_subject) = lower(:subject)' : 'u.external_subject = :subject',
        { subject },
      )
      .getOne();
  }

  /**
   * Inserts a federated user (no password hash; the password grant, for a directory password, and the
   * token grant: SPEC 2.1a, its Gatehouse tokens always work on MQTT); unique violation on a name or
   * binding taken.
   */
  async insertFederated(user: NewFederatedUser, tx?: Transaction): Promise<string> {
    const repo = managerOf(this.dataSource, tx).getRepository(UserEntity);
    return (
      await repo.save(
        repo.create({
          ...user,
          passwordHash: null,
          grantTypes: [
            { method: 'password', isRequired: false },
            { method: 'token', isRequired: false },
          ],
          enabled: true,
          mqttPublishPrefix: null,
          enforceMfaEnrollment: false,
          passwordChangeRequired: false,
        }),
      )
    ).id;
  }

  /**
   * Replaces a federated user's groups; when they differ, bumps `permissions_version` (the group-derived
   * roles may have changed). True when they changed.
   */
  async setExternalGroups(id: string, groups: readonly string[], tx?: Transaction): Promise<boolean> {
    const res: [unknown[], number] = await managerOf(this.dataSource, tx).query(
      `UPDATE users SET external_groups = $2::text[], permissions_version = permissions_version + 1
        WHERE id = $1 AND external_groups IS DISTINCT FROM $2::text[]`,
      [id, groups],
    );
    return res[1] > 0;
  }

  /** The users whose directory groups meet `groups` (lower case). */
  async userIdsInGroups(groups: readonly string[], tx?: Transaction): Promise<string[]> {
    if (groups.length === 0) return [];
    const rows: { id: string }[] = await managerOf(this.dataSource, tx).query(
      `SELECT id FROM users WHERE external_groups && $1::text[]`,
      [groups.map((g) => g.toLowerCase())],
    );
    return rows.map((r) => r.id);
  }

  /** The user's row (without its hash), e.g. for the refresh of a federated session; null when absent. */
  findRow(id: string): Promise<UserWithPasswordHash | null> {
    return this.dataSource.getRepository(UserEntity).findOne({ where: { id } });
  }

  /** The user named exactly `username`, with its password hash, for a password check. */
  findWithPasswordHashByUsername(username: string): Promise<UserWithPasswordHash | null> {
    return this.dataSource
      .getRepository(UserEntity)
      .createQueryBuilder('u')
      .addSelect('u.passwordHash')
      .where('u.username = :username', { username })
      .getOne();
  }

  /** What a password change needs to know of the user: name, hash and whether it is the initial one. */
  findPasswordState(
    id: string,
  ): Promise<Pick<UserEntity, 'id' | 'username' | 'passwordHash' | 'passwordChangeRequired'> | null> {
    return this.dataSource.getRepository(UserEntity).findOne({
      where: { id },
      select: { id: true, username: true, passwordHash: true, passwordChangeRequired: true },
    });
  }

  /** Whether the user still has to change a generated initial password (false for an unknown id). */
  async isPasswordChangeRequired(id: string): Promise<boolean> {
    const row = await this.dataSource
      .getRepository(UserEntity)
      .findOne({ where: { id }, select: { id: true, passwordChangeRequired: true } });
    return row?.passwordChangeRequired ?? false;
  }

  /** Usernames whose generated initial password has not been changed yet, sorted. */
  async usernamesWithPasswordChangeRequired(): Promise<string[]> {
    const rows: { username: string }[] = await this.dataSource.query(
      `SELECT username FROM users WHERE password_change_required ORDER BY username`,
    );
    return rows.map((r) => r.username);
  }

  /** Notes a successful login (`last_login_at = now`). */
  async recordLogin(id: string): Promise<void> {
    await this.dataSource.getRepository(UserEntity).update({ id }, { lastLoginAt: new Date() });
  }

  /** The principal's columns of the user, or null. */
  async findPrincipal(id: string, tx?: Transaction): Promise<PrincipalRow | null> {
    const rows: {
      id: string;
      username: string;
      enabled: boolean;
      mqtt_publish_prefix: string | null;
      permissions_version: number;
      grant_types: GrantType[];
    }[] = await managerOf(this.dataSource, tx).query(
      `SELECT id, username, enabled, mqtt_publish_prefix, permissions_version, grant_types FROM users WHERE id = $1`,
      [id],
    );
    const u = rows[0];
    if (!u) return null;
    return {
      id: u.id,
      username: u.username,
      enabled: u.enabled,
      mqttPublishPrefix: u.mqtt_publish_prefix,
      permissionsVersion: u.permissions_version,
      grantTypes: u.grant_types,
    };
  }

  /**
   * Users with their role ids, direct permissions and certificates in ONE round trip (the hot read
   * path of the admin API: `GET /api/users/{id}`). Outside a transaction straight on the pool.
   */
  private async selectViews(
    tx: Transaction | undefined,
    where: string,
    params: unknown[],
    limit?: number,
  ): Promise<UserView[]> {
    const sql = `SELECT u.id, u.username, u.identity_provider, u.grant_types, u.enabled, u.mqtt_publish_prefix,
            u.enforce_mfa_enrollment, u.created_at, u.updated_at, u.last_login_at, u.password_change_required, u.version,
            COALESCE((SELECT json_agg(r.role_id ORDER BY r.role_id) FROM user_roles r WHERE r.user_id = u.id), '[]') AS roles,
            COALESCE((SELECT json_agg(g.id ORDER BY g.id) FROM roles g
                       WHERE u.external_groups IS NOT NULL AND lower(g.external_groups::text)::text[] && u.external_groups), '[]') AS group_roles,
            u.external_groups,
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
      tx === undefined
        ? await readQuery(this.dataSource, sql, values)
        : await managerOf(this.dataSource, tx).query(sql, values);
    return rows.map(toUserView);
  }
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
  group_roles: string[];
  external_groups: string[] | null;
  permissions: UserView['permissions'];
  certificates: {
    fingerprint: string;
    serial: string;
    notBefore: string;
    notAfter: string;
    revokedAt: string | null;
  }[];
}

function toUserView(r: UserViewRow): UserView {
  return {
    id: r.id,
    username: r.username,
    identityProvider: r.identity_provider,
    grantTypes: r.grant_types,
    roles: r.roles,
    groupRoles: r.group_roles,
    externalGroups: r.external_groups,
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
  };
}
