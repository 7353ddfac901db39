import { Controller, Get, HttpStatus, Logger } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { DatabaseHealth } from '@gatehouse/persistence';
import { Problem } from '../../http/problem';
import { ApiProblems } from '../../http/api-problems.decorator';
import { Public } from '../../http/route-access.decorator';
import { TransportHealth } from '../../transport/transport-health';
import { LivenessDto, ReadinessDto } from './health.dto';

@ApiTags('health')
@Controller('health')
export class HealthController {
  private readonly logger = new Logger('Health');

  constructor(
    private readonly database: DatabaseHealth,
    private readonly transport: TransportHealth,
  ) {}

  @Get('live')
  @Public()
  @ApiOperation({ summary: 'Liveness: the process is up' })
  @ApiOkResponse({ type: LivenessDto, description: 'the process is up' })
  live(): LivenessDto {
    return { status: 'ok' };
  }

  @Get('ready')
  @Public()
  @ApiOperation({ summary: 'Readiness: the database answers and the transport takes requests' })
  @ApiOkResponse({
    type: ReadinessDto,
    description: 'the database answers a query and the transport takes requests',
  })
  @ApiProblems('HEALTH.DATABASE_DOWN', 'HEALTH.TRANSPORT_DOWN')
  async ready(): Promise<ReadinessDto> {
    try {
      await this.database.ping();
    } catch (err) {
      this.logger.warn(`not ready: the database does not answer (${reason(err)})`);
      throw new Problem(
        HttpStatus.SERVICE_UNAVAILABLE,
        'HEALTH.DATABASE_DOWN',
        'the database does not answer',
      );
    }
    try {
      await this.transport.check();
    } catch (err) {
      this.logger.warn(`not ready: ${reason(err)}`);
      throw new Problem(
        HttpStatus.SERVICE_UNAVAILABLE,
        'HEALTH.TRANSPORT_DOWN',
        'the transport does not take requests',
      );
    }
    return { status: 'ok', database: 'ok', transport: 'ok' };
  }
}

function reason(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
