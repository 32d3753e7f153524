import { Global, Module } from '@nestjs/common';
import { MetricsController } from './metrics.controller';
import { MetricsService } from './metrics.service';
import { QueueStatsRepository } from './queue-stats.repository';

/** Global so the send pipeline can record without importing this module. */
@Global()
@Module({
  controllers: [MetricsController],
  providers: [QueueStatsRepository, MetricsService],
  exports: [MetricsService],
})
export class MetricsModule {}
