import { ArrayNotEmpty, IsArray, IsIn, IsOptional, IsString, MaxLength } from 'class-validator';
import { SCOPES, type Scope } from '../scope.enum';

export class CreateApiKeyDto {
  /** A label for people ("billing service"); not unique. */
  @IsOptional()
  @IsString()
  @MaxLength(100)
  name?: string;

  @IsArray()
  @ArrayNotEmpty()
  @IsIn(SCOPES, { each: true, message: `each value in scopes must be one of ${SCOPES.join(', ')}` })
  scopes!: Scope[];
}
