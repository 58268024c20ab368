import { generateToken } from '../../shared/credentials/token';
import type { Rotator } from '../../shared/rotation/rotator';
import { holdsToken, retirePreviousVersion } from '../../shared/secrets/retire-previous';
import { registerToken } from './register';
import {
  endpointsOf,
  parseWebhookBearerSecret,
  resolvedEndpointsOf,
  type WebhookBearerSecret,
} from './secret';
import { verifyToken } from './verify';

/** The readable prefix of generated tokens: a leaked `whk_...` is recognisable in a scanner. */
const WEBHOOK_TOKEN_PREFIX = 'whk';

/**
 * A webhook's shared bearer token. The receiver accepts AWSCURRENT, AWSPREVIOUS and AWSPENDING
 * (@secret-rotation-suite/consumer's BearerVerifier), so a sender still using the old token keeps
 * working through the rotation.
 */
export const webhookBearerRotator: Rotator<WebhookBearerSecret> = {
  kind: 'webhook-bearer',
  parse: parseWebhookBearerSecret,

  async create(current) {
    // Refuse unsafe URLs before anything is stored: a bad secret fails at its first step.
    await resolvedEndpointsOf(current);
    return { ...current, token: generateToken(WEBHOOK_TOKEN_PREFIX) };
  },

  async set(pending, ctx) {
    const { registerUrl } = endpointsOf(pending);
    if (!registerUrl) {
      ctx.annotate({ register: 'no register_url; the sender reads the secret itself' });
      return;
    }
    const current = await ctx.current();
    const abandoned = await ctx.abandoned();
    ctx.annotate({
      register: await registerToken(
        registerUrl,
        current.token,
        pending.token,
        ctx.versionId,
        ctx,
        abandoned?.token,
      ),
    });
  },

  async test(pending, ctx) {
    const { verifyUrl } = endpointsOf(pending);
    ctx.annotate({ verifyStatus: await verifyToken(verifyUrl, pending.token, ctx.versionId, ctx) });
  },

  async revoke(previous, ctx) {
    const versionId = await retirePreviousVersion(ctx.secretArn, holdsToken(previous.token), ctx);
    ctx.annotate({ retiredVersion: versionId });
  },
};
