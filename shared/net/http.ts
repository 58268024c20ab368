import type { AxiosError, AxiosInstance, AxiosResponse, Method } from 'axios';
import { timeoutFromEnv } from '../config/env';
import { TargetUnreachableError, TlsVerificationError } from '../errors';
import type { Deadline } from './deadline';
import { guardedAgents } from './guarded-agents';
import { DestinationRefusal } from './pinned-lookup';
import { isCertificateError } from './tls-errors';
import { checkDestination, refusedAddress } from './url-policy';

/** Per-request timeout; a rotation step has minutes, but a hung endpoint should fail fast and clearly. */
const DEFAULT_HTTP_TIMEOUT_MS = 10_000;

/**
 * HTTP_TIMEOUT_MS, validated, read when a request is made rather than at module load: a bad value
 * then fails the step with a ConfigurationError in its audit line instead of crashing the cold start.
 */
export function httpTimeoutMs(env: NodeJS.ProcessEnv = process.env): number {
  return timeoutFromEnv('HTTP_TIMEOUT_MS', DEFAULT_HTTP_TIMEOUT_MS, 600_000, env);
}

let instance: Promise<AxiosInstance> | undefined;

/**
 * One axios instance for every rotator, loaded with the first request rather than at cold start:
 * importing axios costs about 60 ms here, half of it Node's fetch implementation (axios reads
 * globalThis.FormData when it loads) and form-data's MIME table, neither of which the suite uses.
 * Redirects are not followed: a 3xx could carry the Authorization header or a form body with a
 * refresh token to another host. Every status is returned to the caller, who knows what each one
 * means for its protocol. Every socket resolves its host through the destination policy's pinned
 * lookup (guarded-agents.ts), and proxy variables are ignored: through a proxy, the address checked
 * would be the proxy's, not the destination's.
 */
function http(): Promise<AxiosInstance> {
  instance ??= import('axios').then(({ default: axios }) =>
    axios.create({
      ...guardedAgents(),
      proxy: false,
      maxRedirects: 0,
      validateStatus: () => true,
      // Responses are small JSON documents; refuse anything huge instead of buffering it.
      maxContentLength: 1024 * 1024,
      headers: { 'User-Agent': 'secret-rotation-suite' },
    }),
  );
  return instance;
}

/** axios's isAxiosError (the flag every AxiosError carries), without loading axios to ask. */
function isAxiosError(error: unknown): error is AxiosError {
  return (
    typeof error === 'object' && error !== null && 'isAxiosError' in error && error.isAxiosError === true
  );
}

export interface HttpRequest {
  method: Method;
  url: URL;
  /** The secret's key the URL came from, named when the destination is refused: "`verify_url`". */
  field: string;
  /**
   * What the request is for, used in error messages and as what the invocation waits for
   * ("Zoho token endpoint").
   */
  purpose: string;
  /** The invocation's deadline: the request is aborted when it fires. */
  deadline: Deadline;
  headers?: Record<string, string>;
  data?: unknown;
  timeoutMs?: number;
  /**
   * 'text' keeps the raw body; 'stream' hands back the unread body (a Node Readable) for responses
   * the caller reads incrementally and may stop early, such as an SSE stream a server keeps open;
   * the default parses JSON when the server says it is JSON.
   */
  responseType?: 'json' | 'text' | 'stream';
}

/**
 * Send a request and return the response whatever its status. Transport failures become typed
 * errors whose messages name the endpoint by host only: the full URL or request could hold a token.
 */
export async function httpRequest<T = unknown>(request: HttpRequest): Promise<AxiosResponse<T>> {
  // Outside the try: a bad HTTP_TIMEOUT_MS is a configuration error, not a transport failure.
  const timeout = request.timeoutMs ?? httpTimeoutMs();
  // Again here, whoever built the URL: the scheme, an IP literal (which the socket connects to
  // without a lookup) and the allow-list. Names are checked by the socket's lookup.
  checkDestination(request.url, request.field);
  request.deadline.waitingFor(`${request.purpose} at ${request.url.host}`);
  const client = await http();
  try {
    return await client.request<T>({
      signal: request.deadline.signal,
      method: request.method,
      url: request.url.toString(),
      headers: request.headers,
      data: request.data,
      timeout,
      responseType: request.responseType ?? 'json',
      ...(request.responseType === 'text' ? { transformResponse: (body: unknown) => body } : {}),
    });
  } catch (error) {
    throw describeTransportError(error, request);
  }
}

/** Exported for tests: which transport failure becomes which typed error. */
export function describeTransportError(
  error: unknown,
  request: Pick<HttpRequest, 'purpose' | 'url'> & { field?: string },
): Error {
  const where = `${request.purpose} at ${request.url.host}`;
  const refusal = error instanceof Error ? error.cause : undefined;
  if (refusal instanceof DestinationRefusal) {
    return refusedAddress(
      request.field ?? `the ${request.purpose} URL`,
      `host ${refusal.hostname} resolves to`,
      refusal.address,
      refusal.rule,
    );
  }
  if (!isAxiosError(error)) return new TargetUnreachableError(`${where} could not be called`);
  const code = error.code ?? '';
  if (code === 'ERR_CANCELED') {
    return new TargetUnreachableError(`${where} had not answered when the invocation reached its deadline`);
  }
  if (isCertificateError(code)) {
    return new TlsVerificationError(`${where}: TLS certificate verification failed (${code})`, {
      action: 'Check the endpoint certificate and the CA bundle (NODE_EXTRA_CA_CERTS).',
    });
  }
  if (code === 'ECONNABORTED' || code === 'ETIMEDOUT') {
    return new TargetUnreachableError(`${where} did not answer within the timeout`);
  }
  if (code === 'ECONNREFUSED') return new TargetUnreachableError(`${where} refused the connection`);
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') {
    return new TargetUnreachableError(`${where}: host name could not be resolved`);
  }
  return new TargetUnreachableError(`${where} could not be reached (${code || error.name})`);
}
