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
import type { AuthSession, RoleView } from '@gatehouse/identity';
import { ApiProblems, BODY_PROBLEMS, VERSIONED_UPDATE_PROBLEMS } from '../../http/api-problems.decorator';
import { HandsOut } from '../../http/escalation.decorator';
import { CurrentSession, HttpPermission } from '../../http/route-access.decorator';
import { toPermissionResponse } from '../users/user.mapper';
import { ETAG_HEADER, etag } from '../shared/version';
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
  @ApiOperation({ summary: 'List roles, by name, a page at a time' })
  @ApiOkResponse({ type: RolePageDto, description: 'a page of roles, ordered by name' })
  @ApiProblems('VALIDATION', 'IDENTITY.INVALID_CURSOR')
  async list(@Query() q: ListRolesQueryDto): Promise<RolePageDto> {
    const page = await this.roles.list(q);
    return { items: page.items.map(toRoleResponse), nextCursor: page.nextCursor };
  }

  @Post()
  @HttpPermission()
  @Audited({ action: 'role.create', target: 'role', diff: true })
  @HandsOut({ to: 'new-role', handsOut: ['permissions'] })
  @ApiOperation({ summary: 'Create a role' })
  @ApiCreatedResponse({
    type: RoleResponseDto,
    headers: ETAG_HEADER,
    description: 'the new role (version 1)',
  })
  @ApiProblems(...BODY_PROBLEMS, 'IDENTITY.ROLE_EXISTS')
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
  @ApiOperation({ summary: 'Get a role' })
  @ApiOkResponse({ type: RoleResponseDto, headers: ETAG_HEADER })
  @ApiProblems('HTTP.400', 'IDENTITY.ROLE_NOT_FOUND')
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
  @ApiOperation({
    summary: 'Update a role; every holder’s live sessions follow at once',
    description:
      'Only the fields sent change. Send the version it is based on: If-Match with the ETag (412 when stale) or "version" in the body (409 when stale); 428 without either. Built-in roles cannot change (409).',
  })
  @ApiOkResponse({
    type: RoleResponseDto,
    headers: ETAG_HEADER,
    description: 'the role as saved (a new version)',
  })
  @ApiProblems(
    ...VERSIONED_UPDATE_PROBLEMS,
    'IDENTITY.ROLE_NOT_FOUND',
    'IDENTITY.ROLE_EXISTS',
    'IDENTITY.BUILT_IN_ROLE',
  )
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
    summary: 'Preview a role update: what the PATCH with this body would do, without doing it',
    description:
      'Same body and checks as PATCH /api/roles/{id} (validation, escalation, version); changes nothing. Answers, per user holding the role, the effective permissions gained and lost and the live subscriptions/sessions every gateway would revoke.',
  })
  @ApiHeader({ name: 'If-Match', required: false, description: 'as for the PATCH' })
  @ApiOkResponse({ type: ChangePreviewDto })
  @ApiProblems(...VERSIONED_UPDATE_PROBLEMS, 'IDENTITY.ROLE_NOT_FOUND', 'IDENTITY.BUILT_IN_ROLE')
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
  @ApiOperation({ summary: 'Delete a role; its holders lose it at once' })
  @ApiNoContentResponse({ description: 'deleted' })
  @ApiProblems('HTTP.400', 'IDENTITY.ROLE_NOT_FOUND', 'IDENTITY.BUILT_IN_ROLE')
  async delete(@Param('id', uuid) id: string): Promise<void> {
    await this.roles.delete(id);
  }
}
