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
import type { AuthSession, RoleView } from '@gatehouse/identity';
import { HandsOut } from '../../http/escalation.decorator';
import { CurrentSession, HttpPermission } from '../../http/route-access.decorator';
import { toPermissionResponse } from '../users/user.mapper';
import { etag } from '../shared/version';
import { CreateRoleDto, ListRolesQueryDto, RolePageDto, RoleResponseDto, UpdateRoleDto } from './role.dto';
import { RolesAppService } from './roles.app-service';
import { Audited } from '../../http/audited.decorator';
import { ChangePreviewAppService } from '../sessions/change-preview.app-service';
import { ChangePreviewDto } from '../sessions/sessions.dto';

export const toRoleResponse = (r: RoleView): RoleResponseDto => ({
  id: r.id,
  name: r.name,
  description: r.description,
  permissions: r.permissions.map(toPermissionResponse),
  externalGroups: [...r.externalGroups],
  builtIn: r.builtIn,
  version: r.version,
  createdAt: r.createdAt,
  updatedAt: r.updatedAt,
});

export const uuid = new ParseUUIDPipe({ version: undefined });

@ApiTags('roles')
@Controller('roles')
export class RolesController {
  constructor(
    private readonly roles: RolesAppService,
    private readonly preview_: ChangePreviewAppService,
  ) {}

  @Get()
  @HttpPermission()
  @ApiOkResponse({ type: RolePageDto })
  async list(@Query() q: ListRolesQueryDto): Promise<RolePageDto> {
    const page = await this.roles.list(q);
    return { items: page.items.map(toRoleResponse), nextCursor: page.nextCursor };
  }

  @Post()
  @HttpPermission()
  @Audited({ action: 'role.create', target: 'role', diff: true })
  @HandsOut({ to: 'new-role', handsOut: ['permissions'] })
  async create(
    @CurrentSession() s: AuthSession,
    @Body() dto: CreateRoleDto,
    @Res({ passthrough: true }) res: Response,
  ): Promise<RoleResponseDto> {
    const role = await this.roles.create(s, dto);
    res.setHeader('ETag', etag(role.version));
    return toRoleResponse(role);
  }

  @Get(':id')
  @HttpPermission()
  async get(
    @Param('id', uuid) id: string,
    @Res({ passthrough: true }) res: Response,
  ): Promise<RoleResponseDto> {
    const role = await this.roles.get(id);
    res.setHeader('ETag', etag(role.version));
    return toRoleResponse(role);
  }

  @Patch(':id')
  @HttpPermission()
  @Audited({ action: 'role.update', target: 'role', idParam: 'id', diff: true })
  @HandsOut({ to: 'role', handsOut: ['permissions', 'external-groups'] })
  @ApiHeader({
    name: 'If-Match',
    required: false,
    description: 'ETag of the version this update is based on (412 when stale)',
  })
  async update(
    @CurrentSession() s: AuthSession,
    @Param('id', uuid) id: string,
    @Body() dto: UpdateRoleDto,
    @Headers('if-match') ifMatch: string | undefined,
    @Res({ passthrough: true }) res: Response,
  ): Promise<RoleResponseDto> {
    const role = await this.roles.update(s, id, dto, ifMatch);
    res.setHeader('ETag', etag(role.version));
    return toRoleResponse(role);
  }

  @Post(':id/preview')
  @HttpPermission()
  @HandsOut({ to: 'role', handsOut: ['permissions'] })
  @HttpCode(200)
  @ApiOperation({
    summary: 'what the PATCH with this body would do, without doing it',
    description:
      'Same body and checks as PATCH /api/roles/{id} (validation, escalation, version); changes nothing. Answers, per user holding the role, the effective permissions gained and lost and the live subscriptions/sessions every gateway would revoke.',
  })
  @ApiHeader({ name: 'If-Match', required: false, description: 'as for the PATCH' })
  @ApiOkResponse({ type: ChangePreviewDto })
  preview(
    @Param('id', uuid) id: string,
    @Body() dto: UpdateRoleDto,
    @Headers('if-match') ifMatch: string | undefined,
  ): Promise<ChangePreviewDto> {
    return this.preview_.previewRole(id, dto, ifMatch);
  }

  @Delete(':id')
  @HttpPermission()
  @Audited({ action: 'role.delete', target: 'role', idParam: 'id', diff: true })
  @HandsOut({ to: 'role', handsOut: ['denies-of-role'] })
  @HttpCode(204)
  async delete(@Param('id', uuid) id: string): Promise<void> {
    await this.roles.delete(id);
  }
}
