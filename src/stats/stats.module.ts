import { Module } from '@nestjs/common';
import { DatabaseModule } from '../config/database.module';
import { ProviderConfigModule } from '../provider-config/provider-config.module';
import { StatsController } from './stats.controller';
import { StatsRepository } from './stats.repository';
import { StatsService } from './stats.service';

/** The console overview's figures (GET /v1/stats). */
@Module({
  imports: [DatabaseModule, ProviderConfigModule],
  controllers: [StatsController],
  providers: [StatsRepository, StatsService],
})
export class StatsModule {}
