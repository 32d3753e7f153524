import { Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, Matches, Max, Min } from 'class-validator';
import { EMAIL_TEMPLATE_TYPES, type EmailTemplateType } from '../email-template-type.enum';
import { TEMPLATE_HISTORY_DEFAULT_LIMIT, TEMPLATE_HISTORY_MAX_LIMIT } from '../templates.constants';

/**
 * Query of GET /api/v3/email-template-history: newest first, keyset paging, as
 * GET /api/v3/email-provider-history; `type` narrows it to one template type.
 */
export class EmailTemplateHistoryQueryDto {
  @IsOptional()
  @IsIn(EMAIL_TEMPLATE_TYPES)
  type?: EmailTemplateType;

  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(TEMPLATE_HISTORY_MAX_LIMIT)
  limit: number = TEMPLATE_HISTORY_DEFAULT_LIMIT;

  /** `nextCursor` of the previous page. */
  @IsOptional()
  @Matches(/^[1-9]\d{0,17}$/, { message: '$property must be a cursor returned by this route' })
  cursor?: string;
}
