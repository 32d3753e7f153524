import { PROVIDER_TYPES } from '../provider-config/provider-type.enum';
import { DELIVERY_ERROR_CLASSES } from '../transports/delivery-error';
import { errorClassLabel, fallbackKind, transportLabel } from './metric-labels';

describe('metric labels stay in closed sets', () => {
  it('keeps known transport names and folds the rest into other', () => {
    expect(transportLabel('builtin')).toBe('builtin');
    expect(transportLabel('unresolved')).toBe('unresolved');
    for (const type of PROVIDER_TYPES) {
      expect(transportLabel(`provider:${type}`)).toBe(`provider:${type}`);
    }
    expect(transportLabel('provider:tenant-42')).toBe('other');
    expect(transportLabel('')).toBe('other');
  });

  it('keeps the delivery error classes', () => {
    for (const errorClass of DELIVERY_ERROR_CLASSES) {
      expect(errorClassLabel(errorClass)).toBe(errorClass);
    }
    expect(errorClassLabel('EAUTH')).toBe('other');
  });

  it.each([
    ['no provider configured', 'no_provider'],
    ['provider disabled', 'provider_disabled'],
    ['provider authentication failed (EAUTH)', 'provider_auth_failed'],
    ['provider retries exhausted (ETIMEDOUT)', 'provider_retries_exhausted'],
    ['provider retries exhausted (HTTP_503)', 'provider_retries_exhausted'],
    ['something new', 'other'],
  ])('maps the fallback reason %j to %s (error codes never reach a label)', (reason, kind) => {
    expect(fallbackKind(reason)).toBe(kind);
  });
});
