import { Controller, Delete, Get, HttpStatus, Param, Query } from '@nestjs/common';
import { ApiNotFoundResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { Audited } from '../../http/audited.decorator';
import { Problem } from '../../http/problem';
import { ProblemDetailsDto } from '../../http/problem-details.dto';
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
  @ApiOkResponse({ type: LiveSessionPageDto })
  list(@Query() q: ListSessionsQueryDto): Promise<LiveSessionPageDto> {
    return this.sessions.list(q);
  }

  @Delete(':clientId')
  @HttpPermission()
  @Audited({ action: 'session.disconnect', target: 'session', idParam: 'clientId' })
  @ApiOkResponse({ type: DisconnectSessionResponseDto })
  @ApiNotFoundResponse({
    description: 'no gateway holds a session of this client id',
    type: ProblemDetailsDto,
  })
  disconnect(@Param('clientId') clientId: string): Promise<DisconnectSessionResponseDto> {
    if (clientId.length === 0 || clientId.length > 256)
      throw new Problem(HttpStatus.BAD_REQUEST, 'VALIDATION.FAILED', 'clientId must be 1..256 characters');
    return this.sessions.disconnect(clientId);
  }
}
