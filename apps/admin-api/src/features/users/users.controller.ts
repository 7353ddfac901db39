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
import { ApiHeader, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import type { AuthSession } from '@gatehouse/identity';
import { HandsOut } from '../../http/escalation.decorator';
import { CurrentSession, HttpPermission } from '../../http/route-access.decorator';
import { etag } from '../shared/version';
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
  @ApiOkResponse({ type: UserPageDto })
  async list(@Query() q: ListUsersQueryDto): Promise<UserPageDto> {
    const page = await this.users.list(q);
    return { items: page.items.map(toUserResponse), nextCursor: page.nextCursor };
  }

  @Post()
  @HttpPermission()
  @Audited({ action: 'user.create', target: 'user', diff: true })
  @HandsOut({ to: 'new-user', handsOut: ['permissions', 'roles'] })
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
    summary: 'what the PATCH with this body would do, without doing it',
    description:
      'Same body and checks as PATCH /api/users/{id} (validation, escalation, version); changes nothing. Answers the effective permissions gained and lost and the live subscriptions/sessions every gateway would revoke.',
  })
  @ApiHeader({ name: 'If-Match', required: false, description: 'as for the PATCH' })
  @ApiOkResponse({ type: ChangePreviewDto })
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
  async delete(@CurrentSession() s: AuthSession, @Param('id', uuid) id: string): Promise<void> {
    await this.users.delete(s, id);
  }

  @Get(':id/effective-permissions')
  @HttpPermission()
  async effective(@Param('id', uuid) id: string): Promise<EffectivePermissionsDto> {
    return { items: (await this.users.effectivePermissions(id)).map(toEffectivePermission) };
  }

  @Get(':id/tokens')
  @HttpPermission()
  async tokens(@Param('id', uuid) id: string): Promise<TokenListDto> {
    return { items: (await this.users.listTokens(id)).map(toTokenResponse) };
  }

  @Delete(':id/tokens/:tokenId')
  @HttpPermission()
  @Audited({ action: 'token.revoke', target: 'token', idParam: 'tokenId', ownerParam: 'id' })
  @HandsOut({ to: 'user', handsOut: ['credentials-of-target-user'] })
  @HttpCode(204)
  async revokeToken(
    @CurrentSession() s: AuthSession,
    @Param('id', uuid) id: string,
    @Param('tokenId', uuid) tokenId: string,
  ): Promise<void> {
    await this.users.revokeToken(s, id, tokenId);
  }
}
