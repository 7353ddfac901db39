import { Body, Controller, Get, HttpCode, Post, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiProblems, BODY_PROBLEMS } from '../../http/api-problems.decorator';
import { HttpPermission } from '../../http/route-access.decorator';
import { PermissionsAppService } from './permissions.app-service';
import {
  AuthorizationCheckDto,
  AuthorizationCheckResponseDto,
  PermissionViewPageDto,
  PermissionViewQueryDto,
} from './permissions.dto';

@ApiTags('permissions')
@Controller()
export class PermissionsController {
  constructor(private readonly permissions: PermissionsAppService) {}

  @Get('permissions')
  @HttpPermission()
  @ApiOperation({ summary: 'Every distinct permission with the users and roles holding it' })
  @ApiOkResponse({ type: PermissionViewPageDto })
  @ApiProblems('VALIDATION', 'IDENTITY.INVALID_CURSOR')
  view(@Query() q: PermissionViewQueryDto): Promise<PermissionViewPageDto> {
    return this.permissions.view(q.limit, q.cursor);
  }

  @Post('authorization/check')
  @HttpPermission()
  @HttpCode(200)
  @ApiOperation({
    summary: 'Dry run: would this user be allowed this operation on this resource, and by what',
  })
  @ApiOkResponse({ type: AuthorizationCheckResponseDto })
  @ApiProblems(...BODY_PROBLEMS, 'RBAC.INVALID_PATTERN', 'IDENTITY.USER_NOT_FOUND')
  check(@Body() dto: AuthorizationCheckDto): Promise<AuthorizationCheckResponseDto> {
    return this.permissions.check(dto);
  }
}
