import {
  Body,
  Controller,
  Delete,
  Get,
  Headers,
  HttpCode,
  Param,
  ParseUUIDPipe,
  Patch,
  Post,
  Query,
  Res,
} from '@nestjs/common';
import {
  ApiCreatedResponse,
  ApiHeader,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import type { Response } from 'express';
import type { AuthSession } from '@gatehouse/identity';
import { ApiProblems, BODY_PROBLEMS, VERSIONED_UPDATE_PROBLEMS } from '../../http/api-problems.decorator';
import { HandsOut } from '../../http/escalation.decorator';
import { CurrentSession, HttpPermission } from '../../http/route-access.decorator';
import { ETAG_HEADER, etag } from '../shared/version';
import {
  CreateUserDto,
  EffectivePermissionsDto,
  ListUsersQueryDto,
  TokenListDto,
  UpdateUserDto,
  UserPageDto,
  UserResponseDto,
} from './user.dto';
import { toEffectivePermission, toTokenResponse, toUserResponse } from './user.mapper';
import { UsersAppService } from './users.app-service';
import { Audited } from '../../http/audited.decorator';
import { ChangePreviewAppService } from '../sessions/change-preview.app-service';
import { ChangePreviewDto } from '../sessions/sessions.dto';

const uuid = new ParseUUIDPipe({ version: undefined });

@ApiTags('users')
@Controller('users')
export class UsersController {
  constructor(
    private readonly users: UsersAppService,
    private readonly preview_: ChangePreviewAppService,
  ) {}

  @Get()
  @HttpPermission()
  @ApiOperation({ summary: 'List users, by username, a page at a time' })
  @ApiOkResponse({ type: UserPageDto, description: 'a page of users, ordered by username' })
  @ApiProblems('VALIDATION', 'IDENTITY.INVALID_CURSOR')
  async list(@Query() q: ListUsersQueryDto): Promise<UserPageDto> {
    const page = await this.users.list(q);
    return { items: page.items.map(toUserResponse), nextCursor: page.nextCursor };
  }

  @Post()
  @HttpPermission()
  @Audited({ action: 'user.create', target: 'user', diff: true })
  @HandsOut({ to: 'new-user', handsOut: ['permissions', 'roles'] })
  @ApiOperation({ summary: 'Create a user' })
  @ApiCreatedResponse({ type: UserResponseDto, headers: ETAG_HEADER, description: 'the new user' })
  @ApiProblems(...BODY_PROBLEMS, 'IDENTITY.WEAK_PASSWORD', 'IDENTITY.UNKNOWN_ROLE', 'IDENTITY.USER_EXISTS')
  async create(
    @CurrentSession() s: AuthSession,
    @Body() dto: CreateUserDto,
    @Res({ passthrough: true }) res: Response,
  ): Promise<UserResponseDto> {
    const user = await this.users.create(s, dto);
    res.setHeader('ETag', etag(user.version));
    return toUserResponse(user);
  }

  @Get(':id')
  @HttpPermission()
  @ApiOperation({ summary: 'Get a user' })
  @ApiOkResponse({ type: UserResponseDto, headers: ETAG_HEADER })
  @ApiProblems('HTTP.400', 'IDENTITY.USER_NOT_FOUND')
  async get(
    @Param('id', uuid) id: string,
    @Res({ passthrough: true }) res: Response,
  ): Promise<UserResponseDto> {
    const user = await this.users.get(id);
    res.setHeader('ETag', etag(user.version));
    return toUserResponse(user);
  }

  @Patch(':id')
  @HttpPermission()
  @Audited({ action: 'user.update', target: 'user', idParam: 'id', diff: true })
  @HandsOut({ to: 'user', handsOut: ['permissions', 'roles', 'credentials-of-target-user'] })
  @ApiHeader({
    name: 'If-Match',
    required: false,
    description: 'ETag of the version this update is based on (412 when stale)',
  })
  @ApiOperation({
    summary: 'Update a user',
    description:
      'Only the fields sent change. Send the version it is based on: If-Match with the ETag (412 when stale) or "version" in the body (409 when stale); 428 without either.',
  })
  @ApiOkResponse({ type: UserResponseDto, headers: ETAG_HEADER, description: 'the user as saved' })
  @ApiProblems(
    ...VERSIONED_UPDATE_PROBLEMS,
    'IDENTITY.WEAK_PASSWORD',
    'IDENTITY.UNKNOWN_ROLE',
    'AUTH.CURRENT_PASSWORD_REQUIRED',
    'AUTH.CURRENT_PASSWORD_INVALID',
    'IDENTITY.USER_NOT_FOUND',
    'IDENTITY.FEDERATED_USER',
  )
  async update(
    @CurrentSession() s: AuthSession,
    @Param('id', uuid) id: string,
    @Body() dto: UpdateUserDto,
    @Headers('if-match') ifMatch: string | undefined,
    @Res({ passthrough: true }) res: Response,
  ): Promise<UserResponseDto> {
    const user = await this.users.update(s, id, dto, ifMatch);
    res.setHeader('ETag', etag(user.version));
    return toUserResponse(user);
  }

  @Post(':id/preview')
  @HttpPermission()
  @HandsOut({ to: 'user', handsOut: ['permissions', 'roles', 'credentials-of-target-user'] })
  @HttpCode(200)
  @ApiOperation({
    summary: 'Preview a user update: what the PATCH with this body would do, without doing it',
    description:
      'Same body and checks as PATCH /api/users/{id} (validation, escalation, version); changes nothing. Answers the effective permissions gained and lost and the live subscriptions/sessions every gateway would revoke.',
  })
  @ApiHeader({ name: 'If-Match', required: false, description: 'as for the PATCH' })
  @ApiOkResponse({ type: ChangePreviewDto })
  @ApiProblems(...VERSIONED_UPDATE_PROBLEMS, 'IDENTITY.UNKNOWN_ROLE', 'IDENTITY.USER_NOT_FOUND')
  preview(
    @Param('id', uuid) id: string,
    @Body() dto: UpdateUserDto,
    @Headers('if-match') ifMatch: string | undefined,
  ): Promise<ChangePreviewDto> {
    return this.preview_.previewUser(id, dto, ifMatch);
  }

  @Delete(':id')
  @HttpPermission()
  @Audited({ action: 'user.delete', target: 'user', idParam: 'id', diff: true })
  @HandsOut({ to: 'user', handsOut: ['credentials-of-target-user'] })
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete a user; its tokens stop working and its live sessions end' })
  @ApiNoContentResponse({ description: 'deleted' })
  @ApiProblems('HTTP.400', 'IDENTITY.USER_NOT_FOUND')
  async delete(@CurrentSession() s: AuthSession, @Param('id', uuid) id: string): Promise<void> {
    await this.users.delete(s, id);
  }

  @Get(':id/effective-permissions')
  @HttpPermission()
  @ApiOperation({ summary: "A user's effective permissions: direct ones and those of its roles" })
  @ApiOkResponse({ type: EffectivePermissionsDto })
  @ApiProblems('HTTP.400', 'IDENTITY.USER_NOT_FOUND')
  async effective(@Param('id', uuid) id: string): Promise<EffectivePermissionsDto> {
    return { items: (await this.users.effectivePermissions(id)).map(toEffectivePermission) };
  }

  @Get(':id/tokens')
  @HttpPermission()
  @ApiOperation({ summary: "List a user's long-lived API tokens (labelled logins)" })
  @ApiOkResponse({ type: TokenListDto })
  @ApiProblems('HTTP.400', 'IDENTITY.USER_NOT_FOUND')
  async tokens(@Param('id', uuid) id: string): Promise<TokenListDto> {
    return { items: (await this.users.listTokens(id)).map(toTokenResponse) };
  }

  @Delete(':id/tokens/:tokenId')
  @HttpPermission()
  @Audited({ action: 'token.revoke', target: 'token', idParam: 'tokenId', ownerParam: 'id' })
  @HandsOut({ to: 'user', handsOut: ['credentials-of-target-user'] })
  @HttpCode(204)
  @ApiOperation({ summary: "Revoke one of a user's tokens (it gets 401 at once)" })
  @ApiNoContentResponse({ description: 'revoked' })
  @ApiProblems('HTTP.400', 'IDENTITY.USER_NOT_FOUND', 'IDENTITY.TOKEN_NOT_FOUND')
  async revokeToken(
    @CurrentSession() s: AuthSession,
    @Param('id', uuid) id: string,
    @Param('tokenId', uuid) tokenId: string,
  ): Promise<void> {
    await this.users.revokeToken(s, id, tokenId);
  }
}
