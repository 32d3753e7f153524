import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { TenancyModule } from '../tenancy/tenancy.module';
import { TransportsModule } from '../transports/transports.module';
import { ProviderConfigAuditEntity } from './provider-config-audit.entity';
import { ProviderConfigController } from './provider-config.controller';
import { ProviderConfigEntity } from './provider-config.entity';
import { ProviderConfigMapper } from './provider-config.mapper';
import { ProviderConfigReader } from './provider-config.reader';
import { ProviderConfigRepository } from './provider-config.repository';
import { ProviderConfigService } from './provider-config.service';

/**
 * A tenant's email provider: the GenAuth admin API, encrypted storage with audit trail, and
 * ProviderConfigReader for the dispatcher.
 */
@Module({
  imports: [
    TypeOrmModule.forFeature([ProviderConfigEntity, ProviderConfigAuditEntity]),
    TenancyModule,
    TransportsModule,
  ],
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
