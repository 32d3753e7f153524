import { Inject, Injectable } from '@nestjs/common';
import { EventWebhook } from '@sendgrid/eventwebhook';
import type { Logger } from 'pino';
import { AppException, ValidationException } from '../common/app.exception';
import { ApiCode } from '../common/api-code.enum';
import { LOGGER } from '../common/logger.constants';
import { MetricsService } from '../metrics/metrics.service';
import { ProviderEventsRepository, type ApplyResult } from './provider-events.repository';
import { mapSendGridEvent } from './sendgrid-events';

/** SendGrid's timestamp may be this far from our clock: older deliveries are replays. */
export const MAX_WEBHOOK_SKEW_SECONDS = 10 * 60;
const TENANT_ID_RE = /^[A-Za-z0-9_.:-]{1,128}$/;

export interface SignedRequest {
  rawBody: Buffer | undefined;
  body: unknown;
  signature: string | undefined;
  timestamp: string | undefined;
}

/** SendGrid's Signed Event Webhook: verify over the raw bytes, then apply each event once. */
@Injectable()
export class ProviderEventsService {
  private readonly webhook = new EventWebhook();
  private readonly log: Logger;

  constructor(
    private readonly repo: ProviderEventsRepository,
    private readonly metrics: MetricsService,
    @Inject(LOGGER) logger: Logger,
  ) {
    this.log = logger.child({ module: 'provider-events' });
  }

  /** true when `signature` is SendGrid's over `timestamp` + `raw` under `key` (their own package). */
  verify(key: string, raw: Buffer, signature: string, timestamp: string): boolean {
    try {
      const publicKey = this.webhook.convertPublicKeyToECDSA(key);
      return this.webhook.verifySignature(publicKey, raw, signature, timestamp);
    } catch {
      // A malformed signature or key is a failed verification, not an error.
      return false;
    }
  }

  async ingestSendGrid(
    tenantId: string,
    request: SignedRequest,
    now = Date.now(),
  ): Promise<ApplyResult> {
    const key = TENANT_ID_RE.test(tenantId)
      ? await this.repo.sendGridVerificationKey(tenantId)
      : null;
    if (key === null) {
      throw new AppException(
        ApiCode.MissingScope,
        'No SendGrid webhook verification key is configured for this tenant',
      );
    }
    const { rawBody, signature, timestamp } = request;
    if (
      rawBody === undefined ||
      signature === undefined ||
      timestamp === undefined ||
      !/^\d{1,12}$/.test(timestamp) ||
      signature.length > 512
    ) {
      throw new AppException(
        ApiCode.BadSignature,
        'Missing or malformed SendGrid signature headers',
      );
    }
    if (Math.abs(now / 1000 - Number(timestamp)) > MAX_WEBHOOK_SKEW_SECONDS) {
      throw new AppException(
        ApiCode.SignatureExpired,
        'SendGrid signature timestamp is more than 10 minutes off',
      );
    }
    if (!this.verify(key, rawBody, signature, timestamp)) {
      throw new AppException(ApiCode.BadSignature, 'SendGrid signature does not match');
    }
    if (!Array.isArray(request.body)) {
      throw new ValidationException([{ field: 'body', messages: ['must be an array of events'] }]);
    }
    // Elements that are not objects are skipped: counted as received, never stored.
    const events = request.body.flatMap((raw: unknown) => {
      const mapped = mapSendGridEvent(raw);
      return mapped === null ? [] : [mapped];
    });
    const { storedTypes, ...result } = await this.repo.apply(tenantId, 'sendgrid', events);
    this.metrics.eventsWritten(storedTypes);
    if (result.unmatched > 0) {
      this.log.info(
        { tenantId, unmatched: result.unmatched },
        'SendGrid events for unknown messages',
      );
    }
    return { ...result, received: request.body.length };
  }
}
