import * as z from 'zod/mini';
import { parserFor } from '../../shared/rotation/secret-format';
import { checkUrl } from '../../shared/net/url-policy';

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

/** Both URLs through the suite's URL policy (https, or loopback http with ALLOW_LOOPBACK_HTTP=true). */
export function endpointsOf(secret: WebhookBearerSecret): WebhookEndpoints {
  return {
    verifyUrl: checkUrl(secret.verify_url, { field: '`verify_url`' }),
    registerUrl:
      secret.register_url === undefined
        ? undefined
        : checkUrl(secret.register_url, { field: '`register_url`' }),
  };
}
