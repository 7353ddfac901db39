import {
  Body,
  Controller,
  Get,
  Headers,
  HttpCode,
  HttpStatus,
  Param,
  Post,
  Query,
  Res,
} from '@nestjs/common';
import { permissionExtras } from '@gatehouse/contracts';
import { ApiHeader, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import type { AuthSession, PermissionInput, RoleVersionChanges, RoleVersionView } from '@gatehouse/identity';
import { ApiProblems, BODY_PROBLEMS } from '../../http/api-problems.decorator';
import { Audited } from '../../http/audited.decorator';
import { HandsOut } from '../../http/escalation.decorator';
import { Problem } from '../../http/problem';
import { CurrentSession, HttpPermission } from '../../http/route-access.decorator';
import { PageQueryDto } from '../shared/paging.dto';
import { ETAG_HEADER, etag, MAX_VERSION } from '../shared/version';
import {
  RoleVersionChangesDto,
  RoleVersionPageDto,
  RoleVersionResponseDto,
  RollbackRoleDto,
  VersionPermissionDto,
} from './role-history.dto';
import { RoleResponseDto } from './role.dto';
import { toRoleResponse, uuid } from './roles.controller';
import { RolesAppService } from './roles.app-service';

const toVersionPermission = (p: PermissionInput): VersionPermissionDto => ({
  context: p.context,
  resource: p.resource,
  operation: p.operation,
  ...permissionExtras(p),
});

const toChanges = (c: RoleVersionChanges): RoleVersionChangesDto => ({
  ...(c.name ? { name: { before: c.name.before, after: c.name.after } } : {}),
  ...(c.description ? { description: { before: c.description.before, after: c.description.after } } : {}),
  ...(c.permissions
    ? {
        permissions: {
          added: c.permissions.added.map(toVersionPermission),
          removed: c.permissions.removed.map(toVersionPermission),
        },
      }
    : {}),
});

const toVersionResponse = (v: RoleVersionView): RoleVersionResponseDto => ({
  roleId: v.roleId,
  version: v.version,
  kind: v.kind,
  rolledBackTo: v.rolledBackTo,
  name: v.name,
  description: v.description,
  permissions: v.permissions.map(toVersionPermission),
  changes: v.changes ? toChanges(v.changes) : null,
  actor: v.actor ? { id: v.actor.id, username: v.actor.username } : null,
  createdAt: v.createdAt,
});

/** A version number in the path: 1 … 2^31-1, else 400 (never a database error). */
function versionParam(raw: string): number {
  const n = /^[1-9]\d{0,9}$/.test(raw) ? Number(raw) : NaN;
  if (!(n <= MAX_VERSION))
    throw new Problem(
      HttpStatus.BAD_REQUEST,
      'VALIDATION',
      `version must be an integer from 1 to ${MAX_VERSION}`,
      { errors: ['version must be a positive integer'] },
    );
  return n;
}

/** The history of a role and its rollback (SPEC 2.3, ADR 0021). */
@ApiTags('roles')
@Controller('roles')
export class RoleHistoryController {
  constructor(private readonly roles: RolesAppService) {}

  @Get(':id/versions')
  @HttpPermission()
  @ApiOperation({ summary: "List a role's saved versions, newest first" })
  @ApiOkResponse({ type: RoleVersionPageDto, description: 'every saved version, newest first' })
  @ApiProblems('HTTP.400', 'VALIDATION', 'IDENTITY.INVALID_CURSOR', 'IDENTITY.ROLE_NOT_FOUND')
  async versions(@Param('id', uuid) id: string, @Query() q: PageQueryDto): Promise<RoleVersionPageDto> {
    const page = await this.roles.versions(id, q);
    return { items: page.items.map(toVersionResponse), nextCursor: page.nextCursor };
  }

  @Get(':id/versions/:version')
  @HttpPermission()
  @ApiParam({ name: 'version', schema: { type: 'integer', minimum: 1, maximum: MAX_VERSION } })
  @ApiOperation({ summary: 'Get one saved version of a role, with what it changed' })
  @ApiOkResponse({ type: RoleVersionResponseDto })
  @ApiProblems('HTTP.400', 'VALIDATION', 'IDENTITY.ROLE_NOT_FOUND', 'IDENTITY.ROLE_VERSION_NOT_FOUND')
  async version(
    @Param('id', uuid) id: string,
    @Param('version') version: string,
  ): Promise<RoleVersionResponseDto> {
    return toVersionResponse(await this.roles.version(id, versionParam(version)));
  }

  @Post(':id/rollback')
  @HttpPermission()
  @HttpCode(200)
  @Audited({ action: 'role.rollback', target: 'role', idParam: 'id', diff: true })
  @HandsOut({ to: 'role', handsOut: ['permissions-of-version'] })
  @ApiHeader({
    name: 'If-Match',
    required: false,
    description: 'ETag of the role this rollback is based on (412 when stale); or expectedVersion (409)',
  })
  @ApiOperation({
    summary: 'Roll a role back to a saved version (saved as a new version)',
    description:
      'Optionally based on the current version: If-Match (412 when stale) or expectedVersion (409 when stale).',
  })
  @ApiOkResponse({
    type: RoleResponseDto,
    headers: ETAG_HEADER,
    description: 'the role with the restored content, saved as a new version',
  })
  @ApiProblems(
    'HTTP.400',
    ...BODY_PROBLEMS,
    'HTTP.BAD_IF_MATCH',
    'IDENTITY.ROLE_NOT_FOUND',
    'IDENTITY.ROLE_VERSION_NOT_FOUND',
    'IDENTITY.BUILT_IN_ROLE',
    'IDENTITY.ROLLBACK_NO_CHANGE',
    'IDENTITY.VERSION_CONFLICT',
    'IDENTITY.PRECONDITION_FAILED',
  )
  async rollback(
    @CurrentSession() s: AuthSession,
    @Param('id', uuid) id: string,
    @Body() dto: RollbackRoleDto,
    @Headers('if-match') ifMatch: string | undefined,
    @Res({ passthrough: true }) res: Response,
  ): Promise<RoleResponseDto> {
    const role = await this.roles.rollback(s, id, dto, ifMatch);
    res.setHeader('ETag', etag(role.version));
    return toRoleResponse(role);
  }
}
