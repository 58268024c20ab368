import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * Constant-time string equality. Both sides are hashed first, so the comparison takes the same time
 * whatever the lengths: timingSafeEqual alone would throw on different lengths and leak them.
 * (The rotation functions keep their own copy: this package depends on nothing of theirs.)
 */
export function constantTimeEqual(a: string, b: string): boolean {
  const digestA = createHash('sha256').update(a, 'utf8').digest();
  const digestB = createHash('sha256').update(b, 'utf8').digest();
  return timingSafeEqual(digestA, digestB);
}
