import * as z from 'zod/mini';
import { parserFor } from '../../shared/rotation/secret-format';

const nonEmpty = () => z.string().check(z.minLength(1));

/**
 * The Zoho CRM token set. `access_token`, `token_type`, `expires_at` and `api_domain` are what a
 * rotation writes; a freshly onboarded secret may hold only the client and the refresh token, and
 * its first rotation fills them in. Client credentials live in the secret itself or, with
 * `client_secret_arn`, in a separate secret that rotates on its own (yearly) cadence.
 */
const ZohoSecretSchema = z
  .looseObject({
    client_id: z.optional(nonEmpty()),
    client_secret: z.optional(nonEmpty()),
    client_secret_arn: z.optional(nonEmpty()),
    refresh_token: nonEmpty(),
    accounts_server: nonEmpty(),
    api_domain: z.optional(nonEmpty()),
    access_token: z.optional(nonEmpty()),
    token_type: z.optional(nonEmpty()),
    expires_at: z.optional(z.iso.datetime({ offset: true })),
  })
  .check(
    z.refine(
      (secret) => secret.client_secret_arn !== undefined || (secret.client_id && secret.client_secret),
      {
        message:
          'must hold `client_id` and `client_secret`, or name the secret holding them in `client_secret_arn`',
      },
    ),
  );

export type ZohoSecret = z.infer<typeof ZohoSecretSchema>;

/** A secret after a rotation: the access-token fields are always there. */
export type ZohoTokenSet = ZohoSecret & {
  access_token: string;
  token_type: string;
  expires_at: string;
  api_domain: string;
};

export const parseZohoSecret = parserFor(ZohoSecretSchema, 'zoho-oauth');

/** The separate secret named by `client_secret_arn`. */
const ClientCredentialsSchema = z.looseObject({
  client_id: nonEmpty(),
  client_secret: nonEmpty(),
});

export const parseClientCredentials = parserFor(ClientCredentialsSchema, 'Zoho client credentials');

export function hasAccessToken(secret: ZohoSecret): secret is ZohoTokenSet {
  return Boolean(secret.access_token && secret.token_type && secret.expires_at && secret.api_domain);
}
