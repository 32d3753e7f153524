import { Module } from '@nestjs/common';
import { DatabaseModule } from '../config/database.module';
import { ProviderConfigModule } from '../provider-config/provider-config.module';
import { TemplatesModule } from '../templates/templates.module';
import { TenancyModule } from '../tenancy/tenancy.module';
import { TransportsModule } from '../transports/transports.module';
import { ContentSealer } from './content-sealer';
import { DispatcherService } from './dispatcher.service';
import { EmailAcceptRepository } from './email-accept.repository';
import { EmailDispatchRepository } from './email-dispatch.repository';
import { EmailReadsRepository } from './email-reads.repository';
import { EmailsController } from './emails.controller';
import { EmailsService } from './emails.service';
import { CircuitBreaker } from './scheduling/circuit-breaker';
import { CircuitBreakerRepository } from './scheduling/circuit-breaker.repository';
import { SendRateGate } from './scheduling/send-rate-gate';
import { TransportResolver } from './transport-resolver';

@Module({
  imports: [DatabaseModule, ProviderConfigModule, TransportsModule, TenancyModule, TemplatesModule],
  controllers: [EmailsController],
  providers: [
    EmailAcceptRepository,
    EmailDispatchRepository,
    EmailReadsRepository,
    EmailsService,
    TransportResolver,
    DispatcherService,
    ContentSealer,
    CircuitBreaker,
    CircuitBreakerRepository,
    SendRateGate,
  ],
  exports: [EmailsService, DispatcherService],
})
export class EmailsModule {}
