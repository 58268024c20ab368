import * as z from 'zod/mini';
import { bearerTokenFrom } from '../../../packages/consumer/src/bearer-verifier';
import { constantTimeEqual } from '../../../shared/credentials/compare';
import { bearerChallenge } from '../../../packages/consumer/src/mcp/challenge';
import { listen, readBody, sendJson } from '../../lib/http-server';

const RegisterBody = z.object({ token: z.string().check(z.minLength(16)) });

export interface WebhookSender {
  /** The sender's registration endpoint: the secret's `register_url`. */
  registerUrl: string;
  /** The token the sender puts on every webhook now. */
  token(): string;
  /** Successful PUTs that changed the token, and those that were no-ops (a retried setSecret). */
  registrations: { changed: number; unchanged: number; refused: number };
  /** POST one webhook to the receiver with the token held now; resolves with the HTTP status. */
  send(payload?: unknown): Promise<number>;
  stop(): Promise<void>;
}

/**
 * A webhook sender (a SaaS calling our receiver) with the registration endpoint the rotator's
 * setSecret calls: `PUT /register {"token": "<new>"}` authenticated with the token it holds. It
 * switches tokens at once, so its next webhook carries the new token while it is still AWSPENDING:
 * the receiver must accept AWSPENDING for that to work.
 */
export async function startWebhookSender(options: {
  initialToken: string;
  receiverUrl: string;
}): Promise<WebhookSender> {
  let held = options.initialToken;
  const registrations = { changed: 0, unchanged: 0, refused: 0 };
  const http = await listen(async (req, res) => {
    if (req.method !== 'PUT' || req.url !== '/register') {
      sendJson(res, 404, { error: 'not found' });
      return;
    }
    const presented = bearerTokenFrom(req.headers.authorization);
    if (presented === undefined || !constantTimeEqual(presented, held)) {
      registrations.refused++;
      sendJson(
        res,
        401,
        { error: 'invalid_token' },
        {
          'WWW-Authenticate': bearerChallenge({
            error: 'invalid_token',
            errorDescription: 'authenticate with the token currently registered',
          }),
        },
      );
      return;
    }
    const parsed = RegisterBody.safeParse(JSON.parse((await readBody(req)) || 'null'));
    if (!parsed.success) {
      sendJson(res, 400, { error: 'body must be {"token": "<at least 16 characters>"}' });
      return;
    }
    if (parsed.data.token === held) registrations.unchanged++;
    else registrations.changed++;
    held = parsed.data.token;
    res.writeHead(204).end();
  });
  return {
    registerUrl: `${http.origin}/register`,
    token: () => held,
    registrations,
    async send(payload = { type: 'deal.updated' }) {
      const response = await fetch(options.receiverUrl, {
        method: 'POST',
        headers: { Authorization: `Bearer ${held}`, 'Content-Type': 'application/json' },
        body: JSON.stringify(payload),
      });
      await response.arrayBuffer();
      return response.status;
    },
    stop: http.stop,
  };
}
