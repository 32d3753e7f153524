import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * Compares two values without an early exit. timingSafeEqual needs equal lengths; a length
 * mismatch (public: signatures and hashes have fixed sizes) still runs one comparison, then fails.
 */
export function constantTimeEqual(a: string | Buffer, b: string | Buffer): boolean {
  const left = typeof a === 'string' ? Buffer.from(a, 'utf8') : a;
  const right = typeof b === 'string' ? Buffer.from(b, 'utf8') : b;
  if (left.length !== right.length) {
    timingSafeEqual(left, left);
    return false;
  }
  return timingSafeEqual(left, right);
}

/** For secrets of unknown length (the root token): compares SHA-256 digests, so no length leaks. */
export function digestEqual(a: string, b: string): boolean {
  const digest = (value: string): Buffer => createHash('sha256').update(value, 'utf8').digest();
  return timingSafeEqual(digest(a), digest(b));
}
