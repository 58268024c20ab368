/**
 * What a person does when the refresh token no longer works (revoked, deleted as the 21st refresh
 * token of the client, the client deleted, the user's password changed with "terminate API tokens").
 * A machine cannot do it: Zoho mints a refresh token only from a grant code a person approves.
 */
export function newGrantSteps(accountsServer: string): string {
  const apiConsole = accountsServer.replace('://accounts.', '://api-console.');
  return [
    'A person must create a new grant and store the new refresh token:',
    `(1) in the Zoho API console (${apiConsole}) open the client (Self Client for a back-end) and generate a grant code`,
    'with the scopes this integration uses plus ZohoCRM.users.READ (the rotation test calls the current-user endpoint);',
    `(2) within the code's lifetime, POST ${accountsServer}/oauth/v2/token with grant_type=authorization_code,`,
    'client_id, client_secret and code (plus redirect_uri for a web client) and keep the refresh_token of the answer;',
    '(3) put a new AWSCURRENT value of this secret with that refresh_token (keep the other keys);',
    '(4) rotate the secret. If the old refresh token may be compromised rather than dead, store the access_token,',
    'token_type, api_domain and expires_at of the same answer with it in (3), and revoke the old one before rotating',
    '(docs/zoho-oauth.md, "If the refresh token itself is compromised").',
  ].join(' ');
}
