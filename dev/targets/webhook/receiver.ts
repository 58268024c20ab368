import type { BearerVerifier } from '../../../packages/consumer/src/bearer-verifier';
import { bearerChallenge } from '../../../packages/consumer/src/mcp/challenge';
import { listen, readBody, sendJson } from '../../lib/http-server';

export interface ReceiverCounters {
  accepted: number;
  rejected: number;
  /** Accepted requests by the label their token was found under. */
  acceptedByStage: Record<string, number>;
  /** Rejected requests by reason (missing, unknown, expired). */
  rejectedByReason: Record<string, number>;
  /** testSecret's `secret-rotation.verify` calls among the accepted ones. */
  verifications: number;
}

export interface WebhookReceiver {
  /** POST here with `Authorization: Bearer <token>`: the secret's `verify_url`. */
  url: string;
  counters: ReceiverCounters;
  /** When set, every request is answered with this status before any check (an outage). */
  forceStatus: number | undefined;
  resetCounters(): void;
  stop(): Promise<void>;
}

function emptyCounters(): ReceiverCounters {
  return { accepted: 0, rejected: 0, acceptedByStage: {}, rejectedByReason: {}, verifications: 0 };
}

/**
 * A webhook receiver that authenticates every POST with a BearerVerifier: what a service receiving
 * webhooks signed with a rotated bearer token looks like (also the README example).
 *
 * ```ts
 * const verifier = new BearerVerifier({ secretId: 'sergas/webhooks/prod/bearer', cache });
 * const result = await verifier.verifyAuthorization(req.headers.authorization);
 * if (!result.ok) return reply401(bearerChallenge({ error: 'invalid_token', errorDescription: result.description }));
 * ```
 */
export async function startWebhookReceiver(options: {
  verifier: BearerVerifier;
  path?: string;
}): Promise<WebhookReceiver> {
  const path = options.path ?? '/webhook';
  const handle: WebhookReceiver = {
    url: '',
    counters: emptyCounters(),
    forceStatus: undefined,
    resetCounters() {
      handle.counters = emptyCounters();
    },
    stop: async () => {},
  };
  const http = await listen(async (req, res) => {
    if (handle.forceStatus !== undefined) {
      sendJson(res, handle.forceStatus, { error: 'forced by the test' });
      return;
    }
    if (req.method !== 'POST' || new URL(req.url ?? '/', 'http://x').pathname !== path) {
      sendJson(res, 404, { error: 'not found' });
      return;
    }
    const body = await readBody(req);
    const result = await options.verifier.verifyAuthorization(req.headers.authorization);
    const counters = handle.counters;
    if (!result.ok) {
      counters.rejected++;
      counters.rejectedByReason[result.reason] = (counters.rejectedByReason[result.reason] ?? 0) + 1;
      // RFC 6750 3.1: no error code when the request carried no credentials at all.
      const challenge =
        result.reason === 'missing'
          ? bearerChallenge({ realm: 'webhooks' })
          : bearerChallenge({
              realm: 'webhooks',
              error: 'invalid_token',
              errorDescription: result.description,
            });
      sendJson(res, 401, { error: 'invalid_token' }, { 'WWW-Authenticate': challenge });
      return;
    }
    counters.accepted++;
    counters.acceptedByStage[result.stage] = (counters.acceptedByStage[result.stage] ?? 0) + 1;
    if (isVerification(body)) counters.verifications++;
    sendJson(res, 200, { ok: true });
  });
  handle.url = `${http.origin}${path}`;
  handle.stop = http.stop;
  return handle;
}

function isVerification(body: string): boolean {
  try {
    const json: unknown = JSON.parse(body);
    return (
      typeof json === 'object' && json !== null && 'type' in json && json.type === 'secret-rotation.verify'
    );
  } catch {
    return false;
  }
}
