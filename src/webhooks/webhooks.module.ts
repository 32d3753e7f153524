import { Module } from '@nestjs/common';
import { DatabaseModule } from '../config/database.module';
import { TenancyModule } from '../tenancy/tenancy.module';
import { WebhookMetrics } from './webhook-metrics';
import { WebhookWorkerService } from './webhook-worker.service';
import { WebhooksController } from './webhooks.controller';
import { WebhooksRepository } from './webhooks.repository';
import { WebhooksService } from './webhooks.service';

/** Webhooks to services: endpoints API, the outbox (filled by a trigger) and its worker. */
@Module({
  imports: [DatabaseModule, TenancyModule],
  controllers: [WebhooksController],
  providers: [WebhooksRepository, WebhookMetrics, WebhookWorkerService, WebhooksService],
  exports: [WebhooksService],
})
export class WebhooksModule {}
