import { AppException } from '../common/app.exception';
import { ApiCode } from '../common/api-code.enum';

/** Routes whose handlers need the body exactly as received (signature checks). */
export const PROVIDER_EVENTS_PREFIX = '/v1/provider-events/';

export interface RawBodyRequest {
  rawBody?: Buffer;
}

/** The whole request body, refused with 413 past `limit` bytes (before buffering more). */
export async function readRaw(stream: NodeJS.ReadableStream, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    const buffer = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    size += buffer.length;
    if (size > limit) {
      throw new AppException(ApiCode.PayloadTooLarge, `Request body is larger than ${limit} bytes`);
    }
    chunks.push(buffer);
  }
  return Buffer.concat(chunks);
}
