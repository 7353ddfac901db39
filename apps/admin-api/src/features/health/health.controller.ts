import { Controller, Get, HttpStatus } from '@nestjs/common';
import { ApiOkResponse, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { Problem } from '../../http/problem';
import { ProblemDetailsDto } from '../../http/problem-details.dto';
import { Public } from '../../http/route-access.decorator';

@ApiTags('health')
@Controller('health')
export class HealthController {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  @Get('live')
  @Public()
  @ApiOkResponse({ description: 'the process is up' })
  live(): { status: 'ok' } {
    return { status: 'ok' };
  }

  @Get('ready')
  @Public()
  @ApiOkResponse({ description: 'the database answers' })
  @ApiServiceUnavailableResponse({ type: ProblemDetailsDto })
  async ready(): Promise<{ status: 'ok'; database: 'ok' }> {
    try {
      await this.dataSource.query('SELECT 1');
    } catch {
      throw new Problem(
        HttpStatus.SERVICE_UNAVAILABLE,
        'HEALTH.DATABASE_DOWN',
        'the database does not answer',
      );
    }
    return { status: 'ok', database: 'ok' };
  }
}
