import { Module } from '@nestjs/common';
import { DatabaseModule } from '../config/database.module';
import { PurgeRepository } from './purge.repository';
import { PurgeWorker } from './purge.worker';

/** Message data lifecycle: the purge worker (README "Data retention"). */
@Module({
  imports: [DatabaseModule],
  providers: [PurgeRepository, PurgeWorker],
  exports: [PurgeWorker],
})
export class RetentionModule {}
