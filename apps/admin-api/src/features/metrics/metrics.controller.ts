import { Controller, Get, Header } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import { Registry } from 'prom-client';
import { Public } from '../../http/route-access.decorator';
import { AdminMetrics } from './admin-metrics.service';

/**
 * `GET /metrics` (SPEC 6): Prometheus text exposition. Public, as scrapers carry no bearer token; it
 * holds no secret and no per-user label (ADR 0018).
 */
@ApiTags('metrics')
@Controller('metrics')
export class MetricsController {
  constructor(private readonly metrics: AdminMetrics) {}

  @Get()
  @Public()
  @Header('Content-Type', Registry.PROMETHEUS_CONTENT_TYPE)
  @Header('Cache-Control', 'no-store')
  @ApiProduces(Registry.PROMETHEUS_CONTENT_TYPE)
  @ApiOperation({ summary: 'Prometheus metrics (text exposition format)' })
  @ApiOkResponse({
    description: 'Prometheus text format 0.0.4: process metrics and the gatehouse_* metrics',
    schema: { type: 'string' },
  })
  scrape(): Promise<string> {
    return this.metrics.registry.metrics();
  }
}
