import { Global, Module } from '@nestjs/common';
import { DatabaseModule } from '../config/database.module';
import { MetricsController } from './metrics.controller';
import { MetricsService } from './metrics.service';
import { QueueStatsRepository } from './queue-stats.repository';

/** Global so the send pipeline can record without importing this module. */
@Global()
@Module({
  imports: [DatabaseModule],
  controllers: [MetricsController],
  providers: [QueueStatsRepository, MetricsService],
  exports: [MetricsService],
})
export class MetricsModule {}
