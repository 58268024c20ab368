import { constantTimeEqual } from '../../shared/credentials/compare';
import { CredentialRejectedError, RotationError, SecretFormatError } from '../../shared/errors';
import type { RotationContext, Rotator } from '../../shared/rotation/rotator';
import { clientCredentials } from './client-credentials';
import { currentUser } from './crm';
import { checkAccountsServer, checkEndpoints } from './data-centres';
import {
  AccessTokenRejectedError,
  RefreshTokenStillValidError,
  RevokeWouldCutOffClientsError,
} from './errors';
import { newGrantSteps } from './grant-instructions';
import { revokeToken } from './revoke-token';
import { hasAccessToken, parseZohoSecret, type ZohoSecret, type ZohoTokenSet } from './secret';
import { mintAccessToken, refreshTokenStillMints } from './token-endpoint';

type Ctx = RotationContext<ZohoSecret>;

/**
 * A pending token with less life than this is not promoted: clients would read a token that dies
 * before the next rotation. In a healthy rotation the steps run seconds apart and it has ~60 minutes.
 */
const MIN_REMAINING_MS = 5 * 60 * 1000;

/**
 * Zoho CRM OAuth: each rotation mints a fresh access token from the (long-lived) refresh token.
 *
 * createSecret is the one step with a side effect on Zoho (a mint counts against 10 per refresh
 * token per 10 minutes); the core keeps an existing AWSPENDING, so a retried step never mints again.
 * Zoho does not invalidate the previous access token when a new one is minted: clients holding
 * AWSCURRENT keep working through the promotion, and AWSPREVIOUS stays valid until it expires.
 */
export const zohoOAuthRotator: Rotator<ZohoSecret> = {
  kind: 'zoho-oauth',
  parse: parseZohoSecret,

  async create(current, ctx) {
    const accountsServer = checkAccountsServer(current.accounts_server);
    // A tampered api_domain is refused before the refresh token leaves, like a tampered accounts_server.
    if (current.api_domain !== undefined) checkEndpoints(current.accounts_server, current.api_domain);
    const client = await clientCredentials(current, ctx);
    const token = await mintAccessToken({
      accountsServer,
      client,
      refreshToken: current.refresh_token,
      deadline: ctx,
    });

    const apiDomain = token.api_domain ?? current.api_domain;
    if (apiDomain === undefined) {
      throw new SecretFormatError(
        'Zoho answered without api_domain and the secret has none: cannot tell where the CRM API is',
        [],
        { action: 'Add `api_domain` (e.g. https://www.zohoapis.eu) to the secret and rotate again.' },
      );
    }
    const endpoints = checkEndpoints(
      current.accounts_server,
      apiDomain,
      token.api_domain === undefined ? '`api_domain`' : 'the api_domain in Zoho token answer',
    );
    ctx.annotate({
      dataCentre: endpoints.location,
      clientFrom: client.source,
      accessTokenLifetimeSeconds: token.lifetimeSeconds,
      expiresAt: token.expires_at,
      ...(token.refresh_token ? { refreshTokenReplaced: true } : {}),
    });
    return {
      ...current,
      refresh_token: token.refresh_token ?? current.refresh_token,
      api_domain: endpoints.apiDomain.origin,
      access_token: token.access_token,
      token_type: token.token_type,
      expires_at: token.expires_at,
    };
  },

  async set(pending, ctx) {
    checkEndpoints(pending.accounts_server, requireTokenSet(pending, ctx).api_domain);
    ctx.logger.info(
      'setSecret: nothing changes on the Zoho side. The access token minted in createSecret is already ' +
        'live, and the previous one stays valid until it expires, so clients switch over without a gap.',
      { secretArn: ctx.secretArn, expiresAt: pending.expires_at },
    );
    ctx.annotate({ zohoSideEffect: 'none' });
  },

  async test(pending, ctx) {
    const tokenSet = requireTokenSet(pending, ctx);
    const { apiDomain } = checkEndpoints(tokenSet.accounts_server, tokenSet.api_domain);
    const remainingMs = Date.parse(tokenSet.expires_at) - Date.now();
    if (remainingMs < MIN_REMAINING_MS) {
      throw new CredentialRejectedError(
        `the pending access token ${remainingMs <= 0 ? 'expired' : 'expires'} at ${tokenSet.expires_at}: ` +
          'the rotation that minted it stalled, and promoting it would leave clients with a dead token',
        { action: removePendingAction(ctx) },
      );
    }
    try {
      const user = await currentUser(apiDomain, tokenSet.access_token, 'pending', ctx);
      ctx.annotate({ zohoUserId: user.id, expiresAt: tokenSet.expires_at });
    } catch (error) {
      if (error instanceof AccessTokenRejectedError) {
        throw new AccessTokenRejectedError(error.message, { action: removePendingAction(ctx) });
      }
      throw error;
    }
  },

  async revoke(previous, ctx) {
    const current = await ctx.current();
    const accountsServer = checkAccountsServer(previous.accounts_server);
    if (!constantTimeEqual(previous.refresh_token, current.refresh_token)) {
      // The grant was replaced (a person stored a new refresh token): the old one can go, and with
      // it every access token minted from it, provided AWSCURRENT no longer holds one of those.
      refuseWhileCurrentUsesOldGrant(previous, current, ctx);
      const outcome = await revokeToken(
        accountsServer,
        previous.refresh_token,
        'previous refresh token',
        ctx,
      );
      ctx.annotate({ revoked: 'previous refresh token', zohoAnswer: outcome });
      if (outcome === 'refused') await proveRefreshTokenDead(previous, accountsServer, ctx);
      await ensureDead(previous, ctx, undefined);
      return;
    }
    if (!hasAccessToken(previous) || Date.parse(previous.expires_at) <= Date.now()) {
      ctx.annotate({
        revoked: 'nothing',
        detail: 'the previous access token has already expired or is absent',
      });
      return;
    }
    if (hasAccessToken(current) && constantTimeEqual(previous.access_token, current.access_token)) {
      throw new RotationError(
        'AWSPREVIOUS and AWSCURRENT hold the same access token: revoking it would cut off every client',
        { action: 'Rotate the secret first (emergency-rotate does), then revoke the previous version.' },
      );
    }
    // The refresh token is shared with AWSCURRENT: revoking it would kill the current token too.
    // Only the previous access token is revoked, then checked against the CRM API.
    const outcome = await revokeToken(accountsServer, previous.access_token, 'previous access token', ctx);
    ctx.annotate({ revoked: 'previous access token', zohoAnswer: outcome });
    await ensureDead(
      previous,
      ctx,
      outcome === 'refused' ? 'Zoho refused to revoke it (HTTP 400)' : undefined,
    );
  },
};

/**
 * AWSCURRENT holds the new refresh token but still the access token minted from the old one (a
 * person stored the new grant keeping the other keys): revoking the old refresh token would revoke
 * that access token too and cut off every client until the next rotation. A shared access token
 * that has already expired protects no client, so it does not block the revocation.
 */
function refuseWhileCurrentUsesOldGrant(previous: ZohoSecret, current: ZohoSecret, ctx: Ctx): void {
  if (!hasAccessToken(previous) || !hasAccessToken(current)) return;
  if (!constantTimeEqual(previous.access_token, current.access_token)) return;
  if (Date.parse(current.expires_at) <= Date.now()) return;
  throw new RevokeWouldCutOffClientsError(
    `AWSCURRENT of ${ctx.secretName} holds a new refresh token but still the access token minted from the old ` +
      'one (AWSPREVIOUS): revoking the old refresh token would revoke that access token too and cut off every ' +
      `client until the next rotation (it is valid until ${current.expires_at}). Nothing was revoked`,
    {
      action:
        'Rotate the secret now without revoking (aws secretsmanager rotate-secret, or emergency-rotate without ' +
        'revokePrevious), so clients move to an access token minted from the new refresh token. That rotation ' +
        'moves the old refresh token out of AWSPREVIOUS, so then revoke it by hand: POST ' +
        `${previous.accounts_server}/oauth/v2/token/revoke?token=<old refresh token> must answer {"status":"success"}. ` +
        'Next time, store the new grant together with the access_token, token_type, api_domain and expires_at of the ' +
        'same token answer, then revoke (docs/zoho-oauth.md, "If the refresh token itself is compromised").',
    },
  );
}

/**
 * Zoho answered HTTP 400 to the refresh-token revocation: it refused, or no longer knows the token
 * (already revoked: a retried revoke). Only a mint tells which: `invalid_code` proves it dead;
 * a fresh access token proves it alive, and then the revoke fails, whatever the previous access
 * token's state, since the refresh token can mint new ones.
 */
async function proveRefreshTokenDead(previous: ZohoSecret, accountsServer: URL, ctx: Ctx): Promise<void> {
  const client = await clientCredentials(previous, ctx);
  const alive = await refreshTokenStillMints({
    accountsServer,
    client,
    refreshToken: previous.refresh_token,
    deadline: ctx,
  });
  if (!alive) {
    ctx.annotate({ checkedAtZoho: 'previous refresh token refused (invalid_code)' });
    return;
  }
  throw new RefreshTokenStillValidError(
    `Zoho refused to revoke the previous refresh token of ${ctx.secretName} (HTTP 400) and it still mints ` +
      'access tokens: whoever holds it can keep calling the CRM API',
    {
      action:
        'Retry the revoke later. If Zoho keeps refusing, revoke it by hand (POST ' +
        `${previous.accounts_server}/oauth/v2/token/revoke?token=<old refresh token>) and check the answer; failing ` +
        "that, remove the app's access in the Zoho account's security settings (connected apps), or reset the client " +
        'secret in the API console (a refresh token cannot mint without it) and store the new one in the secret.',
    },
  );
}

/**
 * Trust the CRM API, not the revocation answer: the previous access token must now be refused.
 * Zoho documents access-token revocation only for JavaScript clients, so it may answer success or
 * 400 and leave the token working until it expires; that is reported, never hidden.
 */
async function ensureDead(previous: ZohoSecret, ctx: Ctx, refusal: string | undefined): Promise<void> {
  if (!hasAccessToken(previous) || Date.parse(previous.expires_at) <= Date.now()) return;
  const { apiDomain } = checkEndpoints(previous.accounts_server, previous.api_domain);
  try {
    await currentUser(apiDomain, previous.access_token, 'previous', ctx);
  } catch (error) {
    if (error instanceof AccessTokenRejectedError) {
      ctx.annotate({ checkedAtCrm: 'previous access token refused' });
      return;
    }
    throw error;
  }
  throw new RotationError(
    `the previous access token still works at Zoho CRM after the revocation request` +
      `${refusal ? ` (${refusal})` : ''}; it stays valid until ${previous.expires_at} (at most one hour after it was minted)`,
    {
      action:
        'If only the access token leaked, it dies at expires_at. If the refresh token leaked, revoke it ' +
        `(POST ${previous.accounts_server}/oauth/v2/token/revoke?token=<refresh token>), which also revokes every ` +
        'access token minted from it and stops the integration until a new grant is stored. ' +
        newGrantSteps(previous.accounts_server),
    },
  );
}

function requireTokenSet(pending: ZohoSecret, ctx: Ctx): ZohoTokenSet {
  if (hasAccessToken(pending)) return pending;
  throw new SecretFormatError(
    `secret ${ctx.secretName} AWSPENDING (version ${ctx.versionId}) holds no access token ` +
      '(`access_token`, `token_type`, `expires_at` and `api_domain` are required after createSecret)',
    [],
    { action: removePendingAction(ctx) },
  );
}

/**
 * The service never replaces a stored AWSPENDING value, and refuses new rotations while it exists:
 * a pending token that can no longer pass must be un-staged by a person.
 */
function removePendingAction(ctx: Ctx): string {
  return (
    'Remove the stuck pending version so the next rotation mints a fresh token: aws secretsmanager ' +
    `update-secret-version-stage --secret-id '${ctx.secretName}' --version-stage AWSPENDING ` +
    `--remove-from-version-id ${ctx.versionId} ; then rotate the secret (aws secretsmanager rotate-secret). ` +
    'The emergency-rotate function does both.'
  );
}
