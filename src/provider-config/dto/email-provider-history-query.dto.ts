import { Type } from 'class-transformer';
import { IsInt, IsOptional, Matches, Max, Min } from 'class-validator';
import { HISTORY_DEFAULT_LIMIT, HISTORY_MAX_LIMIT } from '../provider-config.constants';

/** Query of GET /api/v3/email-provider-history: newest first, keyset paging. */
export class EmailProviderHistoryQueryDto {
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(HISTORY_MAX_LIMIT)
  limit: number = HISTORY_DEFAULT_LIMIT;

  /** `nextCursor` of the previous page. */
  @IsOptional()
  @Matches(/^[1-9]\d{0,17}$/, { message: '$property must be a cursor returned by this route' })
  cursor?: string;
}
