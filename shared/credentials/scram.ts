import { createHash, createHmac, pbkdf2Sync, randomBytes } from 'node:crypto';

/** PostgreSQL's default (scram_iterations). */
const SCRAM_DEFAULT_ITERATIONS = 4096;

/**
 * A SCRAM-SHA-256 verifier in PostgreSQL's stored format (RFC 5802 / RFC 7677):
 * `SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>`. CREATE/ALTER ROLE ... PASSWORD with
 * this string stores it as is, so the plaintext never travels to the server or lands in its logs.
 *
 * PostgreSQL applies SASLprep to the password first; for printable ASCII (every password this suite
 * generates) SASLprep is the identity, so the password's UTF-8 bytes are used directly.
 */
export function scramSha256Verifier(
  password: string,
  options: { iterations?: number; salt?: Buffer } = {},
): string {
  if (!/^[\x20-\x7e]*$/.test(password)) {
    throw new Error('SCRAM verifiers are computed only for printable ASCII passwords');
  }
  const iterations = options.iterations ?? SCRAM_DEFAULT_ITERATIONS;
  const salt = options.salt ?? randomBytes(16);
  const salted = pbkdf2Sync(Buffer.from(password, 'utf8'), salt, iterations, 32, 'sha256');
  const clientKey = createHmac('sha256', salted).update('Client Key').digest();
  const storedKey = createHash('sha256').update(clientKey).digest();
  const serverKey = createHmac('sha256', salted).update('Server Key').digest();
  return `SCRAM-SHA-256$${iterations}:${salt.toString('base64')}$${storedKey.toString('base64')}:${serverKey.toString('base64')}`;
}
