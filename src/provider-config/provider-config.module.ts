import { Module } from '@nestjs/common';
import { DatabaseModule } from '../config/database.module';
import { TenancyModule } from '../tenancy/tenancy.module';
import { TransportsModule } from '../transports/transports.module';
import { ProviderConfigController } from './provider-config.controller';
import { ProviderConfigMapper } from './provider-config.mapper';
import { ProviderConfigReader } from './provider-config.reader';
import { ProviderConfigRepository } from './provider-config.repository';
import { ProviderConfigService } from './provider-config.service';

/**
 * A tenant's email provider: the GenAuth admin API, encrypted storage with audit trail, and
 * ProviderConfigReader for the dispatcher.
 */
@Module({
  imports: [DatabaseModule, TenancyModule, TransportsModule],
  controllers: [ProviderConfigController],
  providers: [
    ProviderConfigRepository,
    ProviderConfigMapper,
    ProviderConfigService,
    ProviderConfigReader,
  ],
  exports: [ProviderConfigReader, ProviderConfigService],
})
export class ProviderConfigModule {}
