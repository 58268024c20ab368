import { afterEach, describe, expect, it } from 'vitest';
import {
  forgetSecrets,
  redactingReplacer,
  rememberSecret,
  rememberSecretFields,
  scrub,
} from '../../../shared/observability/redaction';

afterEach(() => forgetSecrets());

describe('redaction', () => {
  it('replaces credential-named fields whatever their value', () => {
    const line = JSON.stringify(
      {
        password: 'x',
        masterPassword: 'y',
        refresh_token: 'z',
        Authorization: 'Bearer q',
        username: 'app',
        secretArn: 'arn',
      },
      redactingReplacer,
    );
    expect(JSON.parse(line)).toEqual({
      password: '[REDACTED]',
      masterPassword: '[REDACTED]',
      refresh_token: '[REDACTED]',
      Authorization: '[REDACTED]',
      username: 'app',
      secretArn: 'arn',
    });
  });

  it('scrubs remembered values from any string, also URL- and JSON-encoded', () => {
    rememberSecret('s3cr3t/with+chars"q');
    expect(scrub('a s3cr3t/with+chars"q b')).toBe('a [REDACTED] b');
    expect(scrub(`token=${encodeURIComponent('s3cr3t/with+chars"q')}`)).toBe('token=[REDACTED]');
    expect(scrub(JSON.stringify({ v: 's3cr3t/with+chars"q' }))).toBe('{"v":"[REDACTED]"}');
  });

  it('remembers the values under sensitive keys of a parsed secret, not the host or user', () => {
    rememberSecretFields({
      host: 'db.internal',
      username: 'app',
      password: 'hunter2-long',
      nested: { token: 'tok-abcdef-123456' },
    });
    expect(scrub('app@db.internal hunter2-long tok-abcdef-123456')).toBe(
      'app@db.internal [REDACTED] [REDACTED]',
    );
  });

  it('leaves short strings alone, so ports and words survive', () => {
    rememberSecret('12345');
    expect(scrub('port 12345')).toBe('port 12345');
  });

  it('scrubs a secret that contains another fully', () => {
    rememberSecret('abcdefgh');
    rememberSecret('abcdefgh-and-more');
    expect(scrub('x abcdefgh-and-more y')).toBe('x [REDACTED] y');
  });
});
