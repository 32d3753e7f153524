import { Module } from '@nestjs/common';
import { DatabaseModule } from '../config/database.module';
import { EmailEventsController } from './email-events.controller';
import { EmailEventsRepository } from './email-events.repository';
import { EmailEventsService } from './email-events.service';
import { ProviderEventsController } from './provider-events.controller';
import { ProviderEventsRepository } from './provider-events.repository';
import { ProviderEventsService } from './provider-events.service';

@Module({
  imports: [DatabaseModule],
  controllers: [EmailEventsController, ProviderEventsController],
  providers: [
    EmailEventsRepository,
    EmailEventsService,
    ProviderEventsRepository,
    ProviderEventsService,
  ],
})
export class EventsModule {}
