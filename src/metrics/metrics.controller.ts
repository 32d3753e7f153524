import { Controller, Get, Header, Res } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { ApiServerError } from '../common/openapi/api-responses.decorators';
import { Public } from '../tenancy/auth.decorators';
import { MetricsService } from './metrics.service';

/** Prometheus scrape endpoint; plain text exposition, not the envelope. */
@Public()
@ApiTags('Operations')
@Controller('metrics')
export class MetricsController {
  constructor(private readonly metrics: MetricsService) {}

  @Get()
  @Header('cache-control', 'no-store')
  @ApiOperation({ summary: 'Prometheus metrics (text exposition format 0.0.4)' })
  @ApiProduces('text/plain')
  @ApiOkResponse({
    description:
      'Metrics of this replica; queue gauges cover the whole outbox (aggregate with max).',
    content: { 'text/plain': { schema: { type: 'string' } } },
  })
  @ApiServerError()
  async scrape(@Res({ passthrough: true }) reply: FastifyReply): Promise<string> {
    void reply.header('content-type', this.metrics.registry.contentType);
    return this.metrics.registry.metrics();
  }
}
