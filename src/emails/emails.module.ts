import { Module } from '@nestjs/common';
import { ProviderConfigModule } from '../provider-config/provider-config.module';
import { TemplatesModule } from '../templates/templates.module';
import { TenancyModule } from '../tenancy/tenancy.module';
import { TransportsModule } from '../transports/transports.module';
import { ContentSealer } from './content-sealer';
import { DispatcherService } from './dispatcher.service';
import { EmailMessagesRepository } from './email-messages.repository';
import { EmailsController } from './emails.controller';
import { EmailsService } from './emails.service';
import { CircuitBreaker } from './scheduling/circuit-breaker';
import { CircuitBreakerRepository } from './scheduling/circuit-breaker.repository';
import { SendRateGate } from './scheduling/send-rate-gate';
import { TransportResolver } from './transport-resolver';

@Module({
  imports: [ProviderConfigModule, TransportsModule, TenancyModule, TemplatesModule],
  controllers: [EmailsController],
  providers: [
    EmailMessagesRepository,
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
