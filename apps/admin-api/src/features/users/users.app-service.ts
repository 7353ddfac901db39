import { HttpStatus, Injectable } from '@nestjs/common';
import {
  type AuthSession,
  type EffectivePermissionView,
  IdentityError,
  PrincipalService,
  TokenService,
  type TokenView,
  UserService,
  type UserView,
  type Page,
} from '@gatehouse/identity';
import { Problem } from '../../http/problem';
import { expectedVersion } from '../shared/version';
import type { CreateUserDto, ListUsersQueryDto, UpdateUserDto } from './user.dto';

/** Use cases of /api/users: identity calls (the no-escalation checks run before, see `@HandsOut`). */
@Injectable()
export class UsersAppService {
  constructor(
    private readonly users: UserService,
    private readonly principals: PrincipalService,
    private readonly tokens: TokenService,
  ) {}

  list(q: ListUsersQueryDto): Promise<Page<UserView>> {
    return this.users.list({ limit: q.limit, cursor: q.cursor, username: q.username });
  }

  get(id: string): Promise<UserView> {
    return this.users.get(id);
  }

  create(session: AuthSession, dto: CreateUserDto): Promise<UserView> {
    return this.users.create(dto);
  }

  async update(
    session: AuthSession,
    id: string,
    dto: UpdateUserDto,
    ifMatch: string | undefined,
  ): Promise<UserView> {
    const current = await this.users.get(id);
    await this.assertReauthenticated(session, current, dto);
    // 428 without a version; after the authorization checks, so that a forbidden change is a 403.
    const expected = expectedVersion(ifMatch, dto.version);
    const { version: _version, currentPassword: _proof, ...patch } = dto;
    return this.users.update(id, patch, expected);
  }

  /**
   * ASVS 6.2.3, 7.5.1: changing one's own password, grant types or MFA enrolment through PATCH needs the
   * current password, as PUT /api/me/password does, so a stolen token alone cannot take the account over
   * (ADR 0009). Changes to other users are governed by ADR 0004 instead.
   */
  private async assertReauthenticated(session: AuthSession, current: UserView, dto: UpdateUserDto) {
    if (current.id !== session.userId) return;
    const changes =
      dto.password !== undefined ||
      (dto.grantTypes !== undefined && !sameGrantTypes(current.grantTypes, dto.grantTypes)) ||
      (dto.enforceMFAEnrollment !== undefined && dto.enforceMFAEnrollment !== current.enforceMFAEnrollment);
    if (!changes) return;
    if (dto.currentPassword === undefined) {
      throw new Problem(
        HttpStatus.FORBIDDEN,
        'AUTH.CURRENT_PASSWORD_REQUIRED',
        'changing your own password, grant types or MFA enrolment needs your current password in "currentPassword"',
      );
    }
    if (!(await this.users.verifyCurrentPassword(current.id, dto.currentPassword))) {
      throw new Problem(
        HttpStatus.FORBIDDEN,
        'AUTH.CURRENT_PASSWORD_INVALID',
        '"currentPassword" is not your current password',
      );
    }
  }

  async delete(session: AuthSession, id: string): Promise<void> {
    await this.users.get(id);
    await this.users.delete(id);
  }

  async effectivePermissions(id: string): Promise<EffectivePermissionView[]> {
    await this.users.get(id);
    return this.principals.effectivePermissions(id);
  }

  async listTokens(id: string): Promise<TokenView[]> {
    await this.users.get(id);
    return this.tokens.listLabelled(id);
  }

  async revokeToken(session: AuthSession, id: string, tokenId: string): Promise<void> {
    await this.users.get(id);
    if (!(await this.tokens.exists(id, tokenId)))
      throw new IdentityError('IDENTITY.TOKEN_NOT_FOUND', `token ${tokenId} not found`);
    if (await this.tokens.revoke(id, tokenId))
      await this.principals.notify([id], 'token-revoked', { tokenId });
  }
}

const grantKey = (g: { method: string; isRequired: boolean }) => `${g.method}:${g.isRequired}`;

function sameGrantTypes(
  a: readonly { method: string; isRequired: boolean }[],
  b: readonly { method: string; isRequired: boolean }[],
): boolean {
  const sa = new Set(a.map(grantKey));
  const sb = new Set(b.map(grantKey));
  return sa.size === sb.size && [...sa].every((k) => sb.has(k));
}
