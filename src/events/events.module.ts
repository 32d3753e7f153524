import { Module } from '@nestjs/common';
import { EmailEventsController } from './email-events.controller';
import { EmailEventsRepository } from './email-events.repository';
import { EmailEventsService } from './email-events.service';

@Module({
  controllers: [EmailEventsController],
  providers: [EmailEventsRepository, EmailEventsService],
})
export class EventsModule {}
