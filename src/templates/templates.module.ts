import { Module } from '@nestjs/common';
import { DatabaseModule } from '../config/database.module';
import { TenancyModule } from '../tenancy/tenancy.module';
import { EmailTemplatesController } from './email-templates.controller';
import { EmailTemplatesRepository } from './email-templates.repository';
import { EmailTemplatesService } from './email-templates.service';

/** GenAuth's email templates: defaults, tenant overrides (audited), preview, send-time rendering. */
@Module({
  imports: [DatabaseModule, TenancyModule],
  controllers: [EmailTemplatesController],
  providers: [EmailTemplatesRepository, EmailTemplatesService],
  exports: [EmailTemplatesService],
})
export class TemplatesModule {}
