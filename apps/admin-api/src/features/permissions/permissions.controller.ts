import { Body, Controller, Get, HttpCode, Post, Query } from '@nestjs/common';
import { ApiOkResponse, ApiTags } from '@nestjs/swagger';
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
  @ApiOkResponse({ type: PermissionViewPageDto })
  view(@Query() q: PermissionViewQueryDto): Promise<PermissionViewPageDto> {
    return this.permissions.view(q.limit, q.cursor);
  }

  @Post('authorization/check')
  @HttpPermission()
  @HttpCode(200)
  @ApiOkResponse({ type: AuthorizationCheckResponseDto })
  check(@Body() dto: AuthorizationCheckDto): Promise<AuthorizationCheckResponseDto> {
    return this.permissions.check(dto);
  }
}
