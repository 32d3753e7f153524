import { Module } from '@nestjs/common';
import { DatabaseModule } from '../config/database.module';
import { TenancyModule } from '../tenancy/tenancy.module';
import { SuppressionsController } from './suppressions.controller';
import { SuppressionsRepository } from './suppressions.repository';
import { SuppressionsService } from './suppressions.service';

@Module({
  imports: [DatabaseModule, TenancyModule],
  controllers: [SuppressionsController],
  providers: [SuppressionsRepository, SuppressionsService],
  exports: [SuppressionsRepository],
})
export class SuppressionsModule {}
