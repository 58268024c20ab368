import { randomBytes } from 'node:crypto';

/** Bytes of randomness in every generated token: 256 bits. */
const TOKEN_BYTES = 32;

/**
 * An opaque bearer token: a readable prefix (so a leaked token is recognisable in a scanner or a
 * log) and 256 random bits, base64url-encoded (43 characters, safe in headers and URLs).
 */
export function generateToken(prefix: string): string {
  if (!/^[a-z][a-z0-9]{1,15}$/.test(prefix)) {
    throw new Error('token prefix must be 2-16 lowercase letters or digits, starting with a letter');
  }
  return `${prefix}_${randomBytes(TOKEN_BYTES).toString('base64url')}`;
}
