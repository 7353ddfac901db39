import { Controller, Get, HttpStatus, Logger } from '@nestjs/common';
import { ApiOkResponse, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import { DatabaseHealth } from '@gatehouse/persistence';
import { Problem } from '../../http/problem';
import { ProblemDetailsDto } from '../../http/problem-details.dto';
import { Public } from '../../http/route-access.decorator';
import { TransportHealth } from '../../transport/transport-health';

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
  @ApiOkResponse({ description: 'the process is up' })
  live(): { status: 'ok' } {
    return { status: 'ok' };
  }

  @Get('ready')
  @Public()
  @ApiOkResponse({ description: 'the database answers a query and the transport takes requests' })
  @ApiServiceUnavailableResponse({ type: ProblemDetailsDto })
  async ready(): Promise<{ status: 'ok'; database: 'ok'; transport: 'ok' }> {
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
