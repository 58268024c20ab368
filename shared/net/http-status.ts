import {
  CredentialRejectedError,
  PermissionDeniedError,
  RateLimitedError,
  type RotationError,
  TargetError,
} from '../errors';
import { describeChallenge, parseBearerChallenge } from './www-authenticate';

export interface StatusContext {
  /** "webhook receiver at hooks.example.com", used as the sentence's subject. */
  where: string;
  /** Which token was presented, for the message: "the pending token". */
  credential: string;
  status: number;
  headers: Readonly<Record<string, unknown>>;
  /** What to do when the token is refused (401). */
  rejectedAction?: string;
  /** What the body said (a JSON-RPC error message), quoted when WWW-Authenticate says nothing. */
  detail?: string;
}

/**
 * The typed error for a non-2xx answer from an endpoint authenticated with a bearer token, or
 * undefined for a 2xx. The server's WWW-Authenticate reason is quoted (truncated): it says why.
 */
export function errorForBearerStatus(context: StatusContext): RotationError | undefined {
  const { where, credential, status } = context;
  if (status >= 200 && status < 300) return undefined;
  const reason =
    describeChallenge(parseBearerChallenge(context.headers['www-authenticate'])) || (context.detail ?? '');
  const because = reason ? ` (${reason})` : '';
  if (status === 401) {
    return new CredentialRejectedError(
      `${where} refused ${credential}: HTTP 401${because}`,
      context.rejectedAction ? { action: context.rejectedAction } : {},
    );
  }
  if (status === 403) {
    return new PermissionDeniedError(
      `${where} accepted ${credential} but forbids the call: HTTP 403${because}`,
      {
        action: 'Check the scopes or permissions granted to this token on the server.',
      },
    );
  }
  if (status === 429) {
    return new RateLimitedError(`${where} is rate limiting: HTTP 429`);
  }
  if (status >= 300 && status < 400) {
    return new TargetError(
      `${where} answered with a redirect (HTTP ${status}); redirects are not followed so a token never goes elsewhere`,
      { action: 'Put the final URL in the secret.' },
    );
  }
  if (status >= 500) {
    // A server error is often an outage that passes: let Secrets Manager's retries try again.
    return new TargetError(`${where} failed with HTTP ${status}`, { retryable: true });
  }
  return new TargetError(`${where} answered HTTP ${status}${because}`);
}
