import { createHash, createHmac, pbkdf2Sync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { scramSha256Verifier } from '../../../shared/credentials/scram';

describe('scramSha256Verifier', () => {
  it("has PostgreSQL's stored format", () => {
    expect(scramSha256Verifier('pencil')).toMatch(
      /^SCRAM-SHA-256\$4096:[A-Za-z0-9+/]{22}==\$[A-Za-z0-9+/]{43}=:[A-Za-z0-9+/]{43}=$/,
    );
  });

  it('lets a server verify a SCRAM client proof for the password (RFC 5802 section 3)', () => {
    const salt = Buffer.from('W22ZaJ0SNY7soEsUEjb6gQ==', 'base64');
    const verifier = scramSha256Verifier('pencil', { salt, iterations: 4096 });
    const [, rest] = verifier.split('$4096:');
    const [, keys] = (rest ?? '').split('$');
    const [storedKey] = (keys ?? '').split(':');
    // The client side, computed independently: ClientProof = ClientKey XOR HMAC(StoredKey, AuthMessage).
    const salted = pbkdf2Sync('pencil', salt, 4096, 32, 'sha256');
    const clientKey = createHmac('sha256', salted).update('Client Key').digest();
    const authMessage =
      'n=user,r=nonce,r=nonce-server,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096,c=biws,r=nonce-server';
    const signature = createHmac('sha256', Buffer.from(storedKey ?? '', 'base64'))
      .update(authMessage)
      .digest();
    const proof = Buffer.from(clientKey.map((byte, i) => byte ^ (signature[i] ?? 0)));
    // The server side: recover ClientKey from the proof and check its hash against StoredKey.
    const recovered = Buffer.from(proof.map((byte, i) => byte ^ (signature[i] ?? 0)));
    expect(createHash('sha256').update(recovered).digest('base64')).toBe(storedKey);
  });

  it('uses a fresh salt each time', () => {
    expect(scramSha256Verifier('same')).not.toBe(scramSha256Verifier('same'));
  });

  it('refuses non-ASCII passwords, whose SASLprep form could differ', () => {
    expect(() => scramSha256Verifier('pässword')).toThrow(/printable ASCII/);
  });
});
