import { Injectable } from '@nestjs/common';
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
    // 428 without a version; after the authorization checks, so that a forbidden change is a 403.
    const expected = expectedVersion(ifMatch, dto.version);
    const { version: _version, ...patch } = dto;
    return this.users.update(id, patch, expected);
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
