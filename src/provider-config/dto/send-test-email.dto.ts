import { IsMailbox } from './is-mailbox.validator';
import { Type } from 'class-transformer';
import { IsObject, IsOptional, ValidateNested } from 'class-validator';
import { ProviderConfigCandidateDto } from './provider-config-candidate.dto';

/** Body of POST /api/v3/send-test-email. */
export class SendTestEmailDto {
  @IsMailbox(true)
  email!: string;

  /** An unsaved config to send with; absent sends with the saved one. */
  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => ProviderConfigCandidateDto)
  config?: ProviderConfigCandidateDto;
}
