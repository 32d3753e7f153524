import { Module } from '@nestjs/common';
import { TenancyModule } from '../tenancy/tenancy.module';
import { SuppressionsController } from './suppressions.controller';
import { SuppressionsRepository } from './suppressions.repository';
import { SuppressionsService } from './suppressions.service';

@Module({
  imports: [TenancyModule],
  controllers: [SuppressionsController],
  providers: [SuppressionsRepository, SuppressionsService],
  exports: [SuppressionsRepository],
})
export class SuppressionsModule {}
