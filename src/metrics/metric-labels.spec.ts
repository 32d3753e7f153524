import { PROVIDER_TYPES } from '../provider-config/provider-type.enum';
import { DELIVERY_ERROR_CLASSES } from '../transports/delivery-error';
import { errorClassLabel, transportLabel } from './metric-labels';

describe('metric labels stay in closed sets', () => {
  it('keeps known transport names and folds the rest into other', () => {
    expect(transportLabel('builtin')).toBe('builtin');
    expect(transportLabel(null)).toBe('unresolved');
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
});
