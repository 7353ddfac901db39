import { Controller, Delete, Get, HttpStatus, Param, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiProblems } from '../../http/api-problems.decorator';
import { Audited } from '../../http/audited.decorator';
import { Problem } from '../../http/problem';
import { HttpPermission } from '../../http/route-access.decorator';
import { SessionsAppService } from './sessions.app-service';
import { DisconnectSessionResponseDto, ListSessionsQueryDto, LiveSessionPageDto } from './sessions.dto';

/** Live MQTT sessions on every gateway (SPEC 2.3, ADR 0022). */
@ApiTags('sessions')
@Controller('sessions')
export class SessionsController {
  constructor(private readonly sessions: SessionsAppService) {}

  @Get()
  @HttpPermission()
  @ApiOperation({ summary: 'List the live MQTT sessions on every gateway' })
  @ApiOkResponse({ type: LiveSessionPageDto })
  @ApiProblems('VALIDATION', 'IDENTITY.INVALID_CURSOR')
  list(@Query() q: ListSessionsQueryDto): Promise<LiveSessionPageDto> {
    return this.sessions.list(q);
  }

  @Delete(':clientId')
  @HttpPermission()
  @Audited({ action: 'session.disconnect', target: 'session', idParam: 'clientId' })
  @ApiOperation({ summary: 'Disconnect every session of an MQTT client id, on every gateway' })
  @ApiOkResponse({ type: DisconnectSessionResponseDto })
  @ApiProblems('VALIDATION.FAILED', 'SESSIONS.NOT_FOUND')
  disconnect(@Param('clientId') clientId: string): Promise<DisconnectSessionResponseDto> {
    if (clientId.length === 0 || clientId.length > 256)
      throw new Problem(HttpStatus.BAD_REQUEST, 'VALIDATION.FAILED', 'clientId must be 1..256 characters');
    return this.sessions.disconnect(clientId);
  }
}
