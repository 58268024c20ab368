import type { Deadline } from '../../shared/net/deadline';
import { httpRequest } from '../../shared/net/http';
import { verifyRefusal } from './errors';

/**
 * Prove the receiver accepts the pending token: `POST verify_url` with `Authorization: Bearer
 * <pending>` and `{"type": "secret-rotation.verify", "version": "<ClientRequestToken>"}`, which a
 * receiver can recognise and ignore. Any 2xx passes.
 */
export async function verifyToken(
  verifyUrl: URL,
  pendingToken: string,
  version: string,
  deadline: Deadline,
): Promise<number> {
  const response = await httpRequest({
    method: 'POST',
    url: verifyUrl,
    purpose: 'webhook receiver',
    field: '`verify_url`',
    headers: { Authorization: `Bearer ${pendingToken}`, 'Content-Type': 'application/json' },
    data: { type: 'secret-rotation.verify', version },
    deadline,
  });
  const failure = verifyRefusal(verifyUrl, response);
  if (failure) throw failure;
  return response.status;
}
