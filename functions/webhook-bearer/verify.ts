import { errorForBearerStatus } from '../../shared/net/http-status';
import { httpRequest } from '../../shared/net/http';

/**
 * Prove the receiver accepts the pending token: `POST verify_url` with `Authorization: Bearer
 * <pending>` and `{"type": "secret-rotation.verify", "version": "<ClientRequestToken>"}`, which a
 * receiver can recognise and ignore. Any 2xx passes.
 */
export async function verifyToken(verifyUrl: URL, pendingToken: string, version: string): Promise<number> {
  const response = await httpRequest({
    method: 'POST',
    url: verifyUrl,
    purpose: 'webhook receiver',
    headers: { Authorization: `Bearer ${pendingToken}`, 'Content-Type': 'application/json' },
    data: { type: 'secret-rotation.verify', version },
  });
  const failure = errorForBearerStatus({
    where: `webhook receiver at ${verifyUrl.host}`,
    credential: 'the pending token',
    status: response.status,
    headers: response.headers,
    rejectedAction:
      'Check that the receiver verifies tokens against this secret with the AWSPENDING label accepted (shared/consumer BearerVerifier does).',
  });
  if (failure) throw failure;
  return response.status;
}
