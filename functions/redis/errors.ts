import {
  CredentialRejectedError,
  PermissionDeniedError,
  RateLimitedError,
  RotationError,
  type RotationErrorOptions,
  TargetError,
  TargetUnreachableError,
  TlsVerificationError,
} from '../../shared/errors';
import { isCertificateError } from '../../shared/net/tls-errors';
import type { RedisNode } from './secret';

/** What was going on when a Redis call failed: everything an operator needs, and no value. */
export interface FailureContext {
  node: RedisNode;
  /** "adding the pending password", "authenticating"... */
  doing: string;
  /** "user app", "admin user admin (adminarn)" */
  who: string;
  timeoutMs: number;
  /** What to do when the credential is refused (WRONGPASS). */
  rejectedAction?: string;
  /** What to do when the credential may not run the command (NOPERM). */
  deniedAction?: string;
  /** Whether the connection uses TLS, for hints about a TLS/plain mismatch. */
  tls?: boolean;
  /**
   * Whether the node has answered anything on this connection. A plain connection a TLS-only port
   * drops is closed before the first reply; one closed after replies is a restart or a network cut.
   */
  answered?: boolean;
}

/** Our own deadline on connect + TLS + authentication, for servers that accept and never answer. */
export class ConnectDeadlineError extends Error {
  override readonly name: string = 'ConnectDeadlineError';
  readonly code = 'ETIMEDOUT';

  /** 'handshake': the TCP/TLS connection never completed; 'authentication': HELLO got no answer. */
  constructor(readonly phase: 'handshake' | 'authentication') {
    super(`connect deadline passed during ${phase}`);
  }
}

const NETWORK_CODES: Record<string, string> = {
  ECONNREFUSED: 'refused the connection',
  ECONNRESET: 'reset the connection',
  EPIPE: 'closed the connection',
  ENOTFOUND: 'has a host name that does not resolve',
  EAI_AGAIN: 'has a host name that could not be resolved right now',
  EHOSTUNREACH: 'is unreachable (no route to host)',
  ENETUNREACH: 'is unreachable (network unreachable)',
};

/** Reply codes a server sends while it cannot serve for a moment; a retry later usually works. */
const TRANSIENT_REPLIES = new Set(['LOADING', 'BUSY', 'MASTERDOWN', 'TRYAGAIN', 'CLUSTERDOWN']);

function codeOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export function nodeLabel(node: RedisNode): string {
  return `Redis node ${node.address}${node.source === 'nodes' ? ' (listed in `nodes`)' : ''}`;
}

/**
 * Translate whatever ioredis or Node threw into the suite's typed errors. The original error is not
 * attached: ioredis errors carry the command's arguments (HELLO's password among them).
 */
export function redisFailure(error: unknown, context: FailureContext): RotationError {
  if (error instanceof RotationError) return error;
  const where = nodeLabel(context.node);
  const message = messageOf(error);
  const code = codeOf(error);
  const replyCode = /^([A-Z]+)\b/.exec(message)?.[1];

  if (replyCode === 'WRONGPASS' || replyCode === 'NOAUTH') {
    return new CredentialRejectedError(
      `${where} rejected ${context.who} while ${context.doing} (${replyCode})`,
      {
        action: context.rejectedAction,
      },
    );
  }
  if (replyCode === 'NOPERM') {
    return new PermissionDeniedError(
      `${context.who} lacks permission on ${where} while ${context.doing} (${firstLine(message)})`,
      { action: context.deniedAction },
    );
  }
  if (isCertificateError(code)) {
    return new TlsVerificationError(`the TLS certificate of ${where} could not be verified (${code})`, {
      action:
        'Set REDIS_CA_BUNDLE to a PEM file with the CA that signed the server certificate, and make sure `host` is a name or address the certificate lists.',
    });
  }
  if (error instanceof ConnectDeadlineError && error.phase === 'handshake' && context.tls) {
    // A plain Redis port reads a TLS ClientHello as an unfinished inline command and never answers.
    return new TargetUnreachableError(
      `${where} did not complete the TLS handshake within ${context.timeoutMs} ms while ${context.doing}: is TLS enabled on this port?`,
      {
        action:
          'If the server has no TLS, set `tls: false` in the secret; otherwise check that the node is up and reachable.',
      },
    );
  }
  if (code === 'ETIMEDOUT' || message === 'Command timed out') {
    return new TargetUnreachableError(
      `${where} did not answer within ${context.timeoutMs} ms while ${context.doing}`,
      { action: 'Check that the node is up and reachable from the function (VPC, security group).' },
    );
  }
  if (code?.startsWith('ERR_SSL') || /before secure TLS connection|wrong version number/i.test(message)) {
    return new TargetUnreachableError(
      `${where} did not complete a TLS handshake while ${context.doing} (${code ?? 'TLS'}): is TLS enabled on this port?`,
      { action: 'If the server has no TLS, set `tls: false` in the secret; otherwise check the port.' },
    );
  }
  // A TLS-only port drops a plain client before answering anything: only then is TLS a likely cause.
  const plainHint =
    context.tls === false && context.answered === false
      ? ': if the server requires TLS, `tls: false` is wrong'
      : '';
  const closed =
    message === 'Connection is closed.' ||
    (error as { name?: unknown } | null)?.name === 'MaxRetriesPerRequestError';
  if (context.answered && (closed || code === 'ECONNRESET' || code === 'EPIPE')) {
    // It answered on this very connection, so it speaks our protocol: it went away mid-step.
    return new TargetUnreachableError(
      `${where} closed the connection while ${context.doing}${code ? ` (${code})` : ''}, after answering on it: the node restarted, failed over or dropped the connection`,
      {
        action:
          "Transient: Secrets Manager retries the step. If it repeats, check the node's log (restarts, failover, maxclients, timeout).",
      },
    );
  }
  if (code && code in NETWORK_CODES) {
    const hint = code === 'ECONNRESET' || code === 'EPIPE' ? plainHint : '';
    return new TargetUnreachableError(
      `${where} ${NETWORK_CODES[code]} while ${context.doing} (${code})${hint}`,
      {
        action: 'Check that the node is up and reachable from the function (VPC, security group, port).',
      },
    );
  }
  if (closed) {
    return new TargetUnreachableError(`${where} closed the connection while ${context.doing}${plainHint}`, {
      action: plainHint
        ? 'Check the node, its port and whether it expects TLS.'
        : 'Check that the node is up and reachable from the function (VPC, security group, port).',
    });
  }
  if (replyCode && TRANSIENT_REPLIES.has(replyCode)) {
    return new TargetError(`${where} cannot serve right now (${replyCode}) while ${context.doing}`, {
      retryable: true,
    });
  }
  return new TargetError(`${where} failed while ${context.doing}: ${firstLine(message)}`, {
    retryable: replyCode === undefined,
  });
}

function firstLine(text: string): string {
  return (text.split('\n')[0] ?? '').slice(0, 300);
}

/**
 * An ElastiCache/MemoryDB user is not `active` (it is `modifying` after a change, or `deleting`):
 * the service refuses changes until it is, and a new password works only once it is. Retryable:
 * Secrets Manager's retry later usually finds it active.
 */
export class UserNotActiveError extends TargetError {
  override readonly name: string = 'UserNotActiveError';

  constructor(message: string, options: RotationErrorOptions = {}) {
    super(message, { retryable: true, ...options });
  }
}

/**
 * An ElastiCache/MemoryDB user this function must not rotate: in another account or region, the
 * default user, one whose name is not the secret's `username`, one that does not authenticate by
 * password. Refused before any call that could change it; retrying cannot help.
 */
export class UserNotRotatableError extends RotationError {
  override readonly name: string = 'UserNotRotatableError';
}

/** The fault names of the two user APIs (SDK error names) this function understands. */
const USER_API_FAULTS = {
  notActive: new Set(['InvalidUserStateFault']),
  notFound: new Set(['UserNotFoundFault']),
  badRequest: new Set(['InvalidParameterValueException', 'InvalidParameterCombinationException']),
  denied: new Set(['AccessDenied', 'AccessDeniedException', 'UnauthorizedOperation', 'InvalidClientTokenId']),
  throttled: new Set([
    'Throttling',
    'ThrottlingException',
    'RequestLimitExceeded',
    'TooManyRequestsException',
    'APICallRateForCustomerExceededFault',
  ]),
};

/** What was going on when an ElastiCache/MemoryDB API call failed. */
export interface UserApiContext {
  /** "ElastiCache user app-1 (arn:...)" */
  user: string;
  /** "ModifyUser", "DescribeUsers" */
  operation: string;
  /** The IAM action the call needs, for a denied call's action. */
  iamAction: string;
}

/**
 * Translate an ElastiCache/MemoryDB SDK error into the suite's typed errors. Only the fault's name,
 * HTTP status and the service's message are kept: the SDK error object carries the request's
 * metadata, and the request of ModifyUser holds passwords.
 */
export function userApiFailure(error: unknown, context: UserApiContext): RotationError {
  if (error instanceof RotationError) return error;
  const name = (error as { name?: unknown } | null)?.name;
  const fault = typeof name === 'string' ? name : 'Error';
  const status = (error as { $metadata?: { httpStatusCode?: number } } | null)?.$metadata?.httpStatusCode;
  const said = firstLine(messageOf(error));
  const where = `${context.operation} on ${context.user}`;
  if (USER_API_FAULTS.notActive.has(fault)) {
    return new UserNotActiveError(`${where} was refused: the user is not active (${fault}: ${said})`);
  }
  if (USER_API_FAULTS.notFound.has(fault)) {
    return new TargetError(`${context.user} does not exist (${fault})`, {
      action: 'Fix `user_arn` in the secret, or create the user, then start a new rotation.',
    });
  }
  if (USER_API_FAULTS.badRequest.has(fault)) {
    return new TargetError(`${where} was refused as invalid (${fault}: ${said})`, {
      action:
        'Check the password policy (ElastiCache and MemoryDB take 16 to 128 printable characters, none of @ " /) and the user.',
    });
  }
  if (USER_API_FAULTS.denied.has(fault) || status === 403) {
    return new PermissionDeniedError(`the function may not call ${where} (${fault})`, {
      action: `Allow ${context.iamAction} on the user's ARN in the function's role (template.yaml: RedisAwsUserArns).`,
    });
  }
  if (USER_API_FAULTS.throttled.has(fault)) {
    return new RateLimitedError(`${where} was throttled (${fault})`);
  }
  const code = codeOf(error);
  if ((code && code in NETWORK_CODES) || fault === 'TimeoutError' || code === 'ETIMEDOUT') {
    return new TargetUnreachableError(`${where} could not reach the service (${code ?? fault})`, {
      action: 'Check the function can reach the ElastiCache/MemoryDB API (a VPC endpoint or NAT).',
    });
  }
  return new TargetError(`${where} failed (${fault}${status ? `, HTTP ${status}` : ''}: ${said})`, {
    retryable: status === undefined || status >= 500,
  });
}

/**
 * An ACL user this function must not rotate on these servers: the admin secret's own user, or
 * `default` where a new password would lock out other clients. Refused before any change.
 */
export class AclUserNotRotatableError extends RotationError {
  override readonly name: string = 'AclUserNotRotatableError';
}

/**
 * A password would go to a node its own secret does not name: the version it comes from (AWSCURRENT,
 * AWSPENDING) lists other nodes than the one being rotated in. Refused before any connection.
 */
export class NodesMismatchError extends RotationError {
  override readonly name: string = 'NodesMismatchError';
}
