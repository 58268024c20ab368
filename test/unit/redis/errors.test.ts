import { describe, expect, it } from 'vitest';
import { ConnectDeadlineError, type FailureContext, redisFailure } from '../../../functions/redis/errors';
import {
  CredentialRejectedError,
  PermissionDeniedError,
  TargetError,
  TargetUnreachableError,
  TlsVerificationError,
} from '../../../shared/errors';

const context: FailureContext = {
  node: { host: '10.0.0.5', port: 6380, address: '10.0.0.5:6380', source: 'nodes' },
  doing: 'adding the pending password of user app',
  who: 'admin user ops (from adminarn arn:admin)',
  timeoutMs: 5000,
  rejectedAction: 'fix the admin secret',
  deniedAction: 'grant +acl',
};

/** What ioredis rejects with: a ReplyError-like error that carries the command and its arguments. */
function replyError(message: string): Error {
  return Object.assign(new Error(message), {
    name: 'ReplyError',
    command: { name: 'hello', args: ['3', 'AUTH', 'app', 'the-plaintext-password'] },
  });
}

function networkError(code: string, message = code): Error {
  return Object.assign(new Error(message), { code });
}

describe('redisFailure', () => {
  it('WRONGPASS is a rejected credential, naming node and who, with the action', () => {
    const error = redisFailure(
      replyError('WRONGPASS invalid username-password pair or user is disabled.'),
      context,
    );
    expect(error).toBeInstanceOf(CredentialRejectedError);
    expect(error.message).toBe(
      'Redis node 10.0.0.5:6380 (listed in `nodes`) rejected admin user ops (from adminarn arn:admin) while adding the pending password of user app (WRONGPASS)',
    );
    expect(error.action).toBe('fix the admin secret');
    expect(error.retryable).toBe(false);
  });

  it('NOAUTH is a rejected credential too', () => {
    expect(redisFailure(replyError('NOAUTH Authentication required.'), context)).toBeInstanceOf(
      CredentialRejectedError,
    );
  });

  it('NOPERM is a permission problem, with the hint', () => {
    const error = redisFailure(
      replyError("NOPERM this user has no permissions to run the 'acl|setuser' command"),
      context,
    );
    expect(error).toBeInstanceOf(PermissionDeniedError);
    expect(error.message).toContain("(NOPERM this user has no permissions to run the 'acl|setuser' command)");
    expect(error.action).toBe('grant +acl');
  });

  it.each([
    ['ECONNREFUSED', 'refused the connection'],
    ['ENOTFOUND', 'has a host name that does not resolve'],
    ['EHOSTUNREACH', 'is unreachable (no route to host)'],
  ])('%s is an unreachable target, retryable', (code, words) => {
    const error = redisFailure(networkError(code), context);
    expect(error).toBeInstanceOf(TargetUnreachableError);
    expect(error.retryable).toBe(true);
    expect(error.message).toContain(`Redis node 10.0.0.5:6380 (listed in \`nodes\`) ${words}`);
  });

  it.each([
    networkError('ETIMEDOUT', 'connect ETIMEDOUT'),
    new Error('Command timed out'),
    new ConnectDeadlineError('authentication'),
  ])('a timeout names the limit (%s)', (cause) => {
    const error = redisFailure(cause, context);
    expect(error).toBeInstanceOf(TargetUnreachableError);
    expect(error.message).toContain('did not answer within 5000 ms');
  });

  it('a TLS client that never completes its handshake is asked whether the port has TLS', () => {
    const error = redisFailure(new ConnectDeadlineError('handshake'), { ...context, tls: true });
    expect(error.message).toContain('did not complete the TLS handshake within 5000 ms');
    expect(error.action).toContain('tls: false');
  });

  it('a plain client dropped at connect, before any reply, is told a TLS port may be the reason', () => {
    const atConnect = { ...context, tls: false, answered: false };
    for (const cause of [networkError('ECONNRESET'), new Error('Connection is closed.')]) {
      expect(redisFailure(cause, atConnect).message).toContain(
        'if the server requires TLS, `tls: false` is wrong',
      );
    }
    expect(redisFailure(networkError('ECONNRESET'), context).message).not.toContain('tls: false');
  });

  it('a connection that had answered and then closed (a restart) gets no TLS hint, and says what happened', () => {
    const afterReplies = { ...context, tls: false, answered: true };
    for (const cause of [networkError('ECONNRESET', 'read ECONNRESET'), new Error('Connection is closed.')]) {
      const error = redisFailure(cause, afterReplies);
      expect(error).toBeInstanceOf(TargetUnreachableError);
      expect(error.retryable).toBe(true);
      expect(error.message).not.toContain('tls');
      expect(error.message).toContain('after answering on it: the node restarted');
      expect(error.action).not.toContain('TLS');
    }
  });

  it('a refused connection is never a TLS question', () => {
    const error = redisFailure(networkError('ECONNREFUSED'), { ...context, tls: false, answered: false });
    expect(error.message).not.toContain('tls');
  });

  it.each(['UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'SELF_SIGNED_CERT_IN_CHAIN', 'ERR_TLS_CERT_ALTNAME_INVALID'])(
    'certificate failure %s is a TLS verification error, not transient',
    (code) => {
      const error = redisFailure(networkError(code), context);
      expect(error).toBeInstanceOf(TlsVerificationError);
      expect(error.retryable).toBe(false);
      expect(error.action).toContain('REDIS_CA_BUNDLE');
    },
  );

  it('LOADING is transient; an unknown error reply is not', () => {
    expect(
      redisFailure(replyError('LOADING Redis is loading the dataset in memory'), context).retryable,
    ).toBe(true);
    const other = redisFailure(replyError("ERR Error in ACL SETUSER modifier '#abc': Syntax error"), context);
    expect(other).toBeInstanceOf(TargetError);
    expect(other.retryable).toBe(false);
  });

  it('never carries the original error (its command arguments hold the password)', () => {
    const error = redisFailure(replyError('WRONGPASS invalid username-password pair'), context);
    expect(error.cause).toBeUndefined();
    expect(JSON.stringify({ ...error, message: error.message })).not.toContain('the-plaintext-password');
  });
});
