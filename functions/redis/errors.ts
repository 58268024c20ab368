import {
  CredentialRejectedError,
  PermissionDeniedError,
  RotationError,
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
