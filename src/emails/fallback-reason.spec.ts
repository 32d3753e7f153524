import { fallbackReasonText, type StoredFallbackReason } from './fallback-reason';

describe('fallbackReasonText', () => {
  it.each<[StoredFallbackReason, string]>([
    [{ kind: 'no_provider' }, 'no provider configured'],
    [{ kind: 'provider_disabled' }, 'provider disabled'],
    [{ kind: 'provider_auth_failed', detail: 'EAUTH' }, 'provider authentication failed (EAUTH)'],
    [
      { kind: 'provider_auth_failed', detail: 'circuit open' },
      'provider authentication failed (circuit open)',
    ],
    [
      { kind: 'provider_retries_exhausted', detail: 'ETIMEDOUT' },
      'provider retries exhausted (ETIMEDOUT)',
    ],
    [
      { kind: 'provider_retries_exhausted', detail: 'HTTP_503' },
      'provider retries exhausted (HTTP_503)',
    ],
    // Text an older version stored that the migration could not read back: shown as it was.
    [{ kind: 'legacy', detail: 'fallback: older wording' }, 'fallback: older wording'],
  ])('renders %j as the text the API has always shown', (reason, text) => {
    expect(fallbackReasonText(reason)).toBe(text);
  });
});
