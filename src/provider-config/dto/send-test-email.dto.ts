import { Type } from 'class-transformer';
import { IsEmail, IsObject, IsOptional, ValidateNested } from 'class-validator';
import { ProviderConfigCandidateDto } from './provider-config-candidate.dto';

/** Body of POST /api/v3/send-test-email. */
export class SendTestEmailDto {
  @IsEmail({}, { message: '$property must be an email address' })
  email!: string;

  /** An unsaved config to send with; absent sends with the saved one. */
  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => ProviderConfigCandidateDto)
  config?: ProviderConfigCandidateDto;
}
