import * as z from 'zod/mini';
import { parserFor } from '../../shared/rotation/secret-format';
import { checkResolvedUrl, checkUrl } from '../../shared/net/url-policy';
import { webhookDestinations } from './settings';

/**
 * `{ token, verify_url, register_url? }`. `token` is what the webhook sender puts in
 * `Authorization: Bearer`; `verify_url` is the receiver's endpoint testSecret proves the new token
 * against; `register_url`, when present, is the sender's endpoint that is told the new token.
 * Unknown keys are kept through rotations.
 */
const WebhookBearerSecretSchema = z.looseObject({
  token: z.string().check(z.minLength(1)),
  verify_url: z.string().check(z.minLength(1)),
  register_url: z.optional(z.string().check(z.minLength(1))),
});
export type WebhookBearerSecret = z.infer<typeof WebhookBearerSecretSchema>;

export const parseWebhookBearerSecret = parserFor(WebhookBearerSecretSchema, 'webhook-bearer');

export interface WebhookEndpoints {
  verifyUrl: URL;
  registerUrl: URL | undefined;
}

/** Both URLs through the function's destination policy (settings.ts, docs/security.md). */
export function endpointsOf(secret: WebhookBearerSecret): WebhookEndpoints {
  const destinations = webhookDestinations();
  return {
    verifyUrl: checkUrl(secret.verify_url, { field: '`verify_url`', destinations }),
    registerUrl:
      secret.register_url === undefined
        ? undefined
        : checkUrl(secret.register_url, { field: '`register_url`', destinations }),
  };
}

/** endpointsOf, plus every address the hosts resolve to now: createSecret refuses before storing. */
export async function resolvedEndpointsOf(secret: WebhookBearerSecret): Promise<WebhookEndpoints> {
  const endpoints = endpointsOf(secret);
  await checkResolvedUrl(endpoints.verifyUrl, '`verify_url`');
  if (endpoints.registerUrl) await checkResolvedUrl(endpoints.registerUrl, '`register_url`');
  return endpoints;
}
