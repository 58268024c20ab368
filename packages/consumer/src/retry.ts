/**
 * Why a helper retried: the service refused a credential, the helper re-read the secret, found a
 * different AWSCURRENT and tried once more with it. Carries no credential.
 */
export interface RetryEvent {
  secretId: string;
  /**
   * - `unauthorized`: HTTP 401 to a bearer token
   * - `invalid-token`: Zoho CRM 401 INVALID_TOKEN
   * - `wrongpass`: Redis refused the login of a (re)connect (WRONGPASS); it was made again with the new one
   * - `noauth`: a Redis command was refused on a connection whose AUTH failed (it did not run)
   * - `invalid-password`: PostgreSQL refused the login (28P01)
   * - `pending-credential`: PostgreSQL refused AWSCURRENT mid-rotation (single user, between
   *   setSecret and finishSecret) and AWSPENDING, which the server already holds, was used
   * - `session-terminated`: PostgreSQL ended the session running the query (an emergency revoke);
   *   only with `retryTerminatedQueries`
   */
  reason:
    | 'unauthorized'
    | 'invalid-token'
    | 'wrongpass'
    | 'noauth'
    | 'invalid-password'
    | 'pending-credential'
    | 'session-terminated';
}

export type OnRetry = (event: RetryEvent) => void;
