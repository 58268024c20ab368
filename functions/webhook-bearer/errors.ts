import type { RotationError } from '../../shared/errors';
import { errorForBearerStatus } from '../../shared/net/http-status';

/*
 * The webhook endpoints' refusals, named: the shared bearer-status classification, with what an
 * operator should do when each endpoint refuses the token it was shown. Webhook rotation needs no
 * error classes of its own.
 */

interface Answer {
  status: number;
  headers: Readonly<Record<string, unknown>>;
}

/** The receiver's answer to the verify call with the pending token, as an error (undefined for a 2xx). */
export function verifyRefusal(verifyUrl: URL, answer: Answer): RotationError | undefined {
  return errorForBearerStatus({
    where: `webhook receiver at ${verifyUrl.host}`,
    credential: 'the pending token',
    status: answer.status,
    headers: answer.headers,
    rejectedAction:
      'Check that the receiver verifies tokens against this secret with the AWSPENDING label accepted (the BearerVerifier of @secret-rotation-suite/consumer does).',
  });
}

/** The sender's answer to the registration authenticated with the current token (undefined for a 2xx). */
export function registerRefusal(registerUrl: URL, answer: Answer): RotationError | undefined {
  return errorForBearerStatus({
    where: `webhook sender registration endpoint at ${registerUrl.host}`,
    credential: 'the current token',
    status: answer.status,
    headers: answer.headers,
    rejectedAction:
      'The sender no longer accepts the AWSCURRENT token: register the current token with the sender by hand, then rotate again.',
  });
}
