import { afterEach, describe, expect, it } from 'vitest';
import {
  FRAGMENT_LENGTH,
  forgetSecrets,
  openRedactionScope,
  MAX_SERIALIZED_STRING,
  quoteTarget,
  redactingReplacer,
  rememberDocument,
  rememberSecret,
  scrub,
  weakSecretsInPlay,
} from '../../../shared/observability/redaction';
import { generateToken } from '../../../shared/credentials/token';

afterEach(() => forgetSecrets());

const SECRET = 'Zq9/vX+2kLm8Rt"Pw4&Yb7 Nc1=Hd3%Je5';

/** Every window of `length` characters of `text`. */
function windowsOf(text: string, length = FRAGMENT_LENGTH): string[] {
  return Array.from({ length: text.length - length + 1 }, (_, i) => text.slice(i, i + length));
}

/** No window of FRAGMENT_LENGTH characters of any of `forms` survives in `text`. */
function expectNoWindowOf(text: string, ...forms: string[]): void {
  for (const form of forms) {
    for (const window of windowsOf(form)) expect(text).not.toContain(window);
  }
}

describe('scrubbing fragments and encodings', () => {
  it('removes every fragment of 12 or more characters, wherever it starts and ends', () => {
    rememberSecret(SECRET);
    for (let start = 0; start + FRAGMENT_LENGTH <= SECRET.length; start += 3) {
      for (let end = start + FRAGMENT_LENGTH; end <= SECRET.length; end += 5) {
        const fragment = SECRET.slice(start, end);
        const out = scrub(`before ${fragment} after`);
        expect(out).toMatch(/^before \[REDACTED\]/);
        expect(out).toMatch(/after$/);
        expectNoWindowOf(out, SECRET);
      }
    }
  });

  it('leaves a fragment shorter than 12 characters (it cannot be told from ordinary text)', () => {
    rememberSecret(SECRET);
    expect(scrub(`x ${SECRET.slice(0, 11)} y`)).toBe(`x ${SECRET.slice(0, 11)} y`);
  });

  it.each([
    ['URL-encoded', encodeURIComponent(SECRET)],
    [
      'URL-encoded, lower-case escapes',
      encodeURIComponent(SECRET).replace(/%[0-9A-F]{2}/g, (e) => e.toLowerCase()),
    ],
    ['form-encoded', new URLSearchParams({ token: SECRET }).toString()],
    ['JSON-escaped', JSON.stringify({ token: SECRET })],
    ['JSON inside JSON', JSON.stringify(JSON.stringify({ token: SECRET }))],
    ['base64', Buffer.from(SECRET).toString('base64')],
    ['base64url', Buffer.from(SECRET).toString('base64url')],
    ['base64 of user:password (Basic auth)', Buffer.from(`app:${SECRET}`).toString('base64')],
    ['base64 at the other alignment', Buffer.from(`ab:${SECRET}:cd`).toString('base64')],
  ])('removes the %s form', (_name, encoded) => {
    rememberSecret(SECRET);
    const out = scrub(`server said: ${encoded} (end)`);
    expect(out).toContain('[REDACTED]');
    expectNoWindowOf(out, SECRET, encodeURIComponent(SECRET), Buffer.from(SECRET).toString('base64'));
    expect(out.startsWith('server said: ')).toBe(true);
    expect(out.endsWith(' (end)')).toBe(true);
  });

  it('removes a fragment of an encoded form too', () => {
    rememberSecret(SECRET);
    const b64 = Buffer.from(`xx${SECRET}`).toString('base64');
    expect(scrub(`echo ${b64.slice(8, 30)} end`)).toBe('echo [REDACTED] end');
  });

  it('scrubs a whole secret document, but not the non-secret parts of it on their own', () => {
    const raw = JSON.stringify({
      host: 'db.internal.example.com',
      username: 'app_user_name',
      password: SECRET,
    });
    rememberDocument(raw);
    expect(scrub(`read ${raw}`)).toBe('read [REDACTED]');
    expect(scrub('connected to db.internal.example.com as app_user_name')).toBe(
      'connected to db.internal.example.com as app_user_name',
    );
    expect(scrub(`pw ${SECRET.slice(3, 20)}`)).toBe('pw [REDACTED]');
  });

  it('does not erase the public prefix of a SCRAM verifier from ordinary messages', () => {
    rememberSecret('SCRAM-SHA-256$4096:c2FsdHNhbHRzYWx0$U3RvcmVkS2V5U3RvcmVkS2V5:U2VydmVyS2V5U2VydmVyS2V5');
    expect(scrub('the password travels as a SCRAM-SHA-256$4096: verifier')).toBe(
      'the password travels as a SCRAM-SHA-256$4096: verifier',
    );
    expect(scrub('stored U3RvcmVkS2V5U3RvcmVkS2V5')).toBe('stored [REDACTED]');
  });
});

describe('quoting a target’s text', () => {
  it('scrubs before truncating, so the cut never leaves part of a value', () => {
    const token = generateToken('whk');
    rememberSecret(token);
    const body = `${'x'.repeat(180)} invalid token ${token} for this receiver`;
    for (let max = 150; max <= body.length; max += 1) {
      const quoted = quoteTarget(body, max);
      expect(quoted).not.toContain(token.slice(0, 12));
      for (let cut = 4; cut <= token.length; cut += 1)
        expect(quoted).not.toContain(token.slice(0, cut).padStart(cut));
      expect(quoted.length).toBeLessThanOrEqual(max + '[REDACTED]...'.length);
    }
  });

  it('never ends in half a redaction marker', () => {
    rememberSecret(SECRET);
    const quoted = quoteTarget(`abc ${SECRET} def`, 8);
    expect(quoted).toBe('abc [REDACTED]...');
  });

  it('withholds the text entirely while a weak value is in play', () => {
    rememberSecret('hunter2');
    expect(weakSecretsInPlay()).toBe(1);
    expect(quoteTarget('invalid password hunter2', 200)).toBe(
      '(response text withheld: a weak credential is in play)',
    );
  });
});

describe('never over-redacting', () => {
  it('does not scrub a short value such as "postgres" (it is weak instead)', () => {
    rememberSecret('postgres');
    expect(scrub('not a valid postgres secret')).toBe('not a valid postgres secret');
    expect(weakSecretsInPlay()).toBe(1);
  });

  it('forgets what one invocation remembered when its scope closes', () => {
    const close = openRedactionScope();
    rememberSecret('a-long-secret-value-of-invocation-one');
    rememberSecret('short');
    expect(scrub('x a-long-secret-value-of-invocation-one')).toBe('x [REDACTED]');
    close();
    expect(scrub('x a-long-secret-value-of-invocation-one')).toBe('x a-long-secret-value-of-invocation-one');
    expect(weakSecretsInPlay()).toBe(0);
  });

  it('forgets, when a scope opens, what a scope-less caller left behind', () => {
    rememberSecret('left-behind-by-someone-else');
    const close = openRedactionScope();
    expect(scrub('left-behind-by-someone-else')).toBe('left-behind-by-someone-else');
    close();
  });

  it('keeps an outer invocation’s values through a nested one', () => {
    const outer = openRedactionScope();
    rememberSecret('outer-secret-value-0123456');
    const inner = openRedactionScope();
    expect(scrub('outer-secret-value-0123456')).toBe('[REDACTED]');
    inner();
    expect(scrub('outer-secret-value-0123456')).toBe('[REDACTED]');
    outer();
    expect(scrub('outer-secret-value-0123456')).toBe('outer-secret-value-0123456');
  });
});

describe('serialising for logs and alerts', () => {
  it('bounds every string after scrubbing it, so a huge error still makes a small line', () => {
    const token = generateToken('mcp');
    rememberSecret(token);
    const huge = `${'detail '.repeat(MAX_SERIALIZED_STRING)}${token}`;
    const line = JSON.stringify({ message: huge }, redactingReplacer);
    expect(line.length).toBeLessThan(MAX_SERIALIZED_STRING + 100);
    expect(line).toContain('(truncated; ');
    const echoed = JSON.stringify(
      { message: `${'y'.repeat(MAX_SERIALIZED_STRING - 20)}${token}` },
      redactingReplacer,
    );
    expect(echoed).not.toContain(token.slice(0, 12));
  });
});
