import type { RotationContext } from '../../shared/rotation/rotator';
import { readOtherSecretAs } from '../../shared/rotation/other-secret';
import { type ZohoSecret, parseClientCredentials } from './secret';

export interface ClientCredentials {
  clientId: string;
  clientSecret: string;
  /** Where they came from, for the audit line and error messages. */
  source: 'secret' | 'client_secret_arn';
}

/**
 * The OAuth client that owns the refresh token. With `client_secret_arn` the separate secret is the
 * one source of truth (it rotates on its own cadence; a copy left in this secret would go stale).
 */
export async function clientCredentials(
  secret: ZohoSecret,
  ctx: RotationContext<ZohoSecret>,
): Promise<ClientCredentials> {
  if (secret.client_secret_arn !== undefined) {
    const parsed = await readOtherSecretAs(
      ctx,
      {
        key: 'client_secret_arn',
        secretId: secret.client_secret_arn,
        purpose: 'Zoho client credentials secret',
      },
      parseClientCredentials,
      'Store {"client_id": "...", "client_secret": "..."} in that secret.',
    );
    return { clientId: parsed.client_id, clientSecret: parsed.client_secret, source: 'client_secret_arn' };
  }
  // The schema guarantees both are present when client_secret_arn is absent.
  return {
    clientId: secret.client_id ?? '',
    clientSecret: secret.client_secret ?? '',
    source: 'secret',
  };
}
