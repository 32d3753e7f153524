import { tuneHeap } from './heap';

describe('tuneHeap', () => {
  it('sets the heap growing percent unless the operator gave one', () => {
    expect(tuneHeap([], '')).toBe(true);
    expect(tuneHeap(['--heap-growing-percent=80'], '')).toBe(false);
    expect(tuneHeap([], '--max-old-space-size=512 --heap_growing_percent=30')).toBe(false);
    expect(tuneHeap(['--max-semi-space-size=8'], '--enable-source-maps')).toBe(true);
  });
});
