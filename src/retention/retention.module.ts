import { Module } from '@nestjs/common';
import { PurgeRepository } from './purge.repository';
import { PurgeWorker } from './purge.worker';

/** Message data lifecycle: the purge worker (README "Data retention"). */
@Module({
  providers: [PurgeRepository, PurgeWorker],
  exports: [PurgeWorker],
})
export class RetentionModule {}
