import type { AxiosError, AxiosInstance, AxiosResponse, Method } from 'axios';
import { timeoutFromEnv } from '../config/env';
import { TargetUnreachableError, TlsVerificationError } from '../errors';
import type { Deadline } from './deadline';
import { isCertificateError } from './tls-errors';

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
 * means for its protocol.
 */
function http(): Promise<AxiosInstance> {
  instance ??= import('axios').then(({ default: axios }) =>
    axios.create({
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
export function describeTransportError(error: unknown, request: Pick<HttpRequest, 'purpose' | 'url'>): Error {
  const where = `${request.purpose} at ${request.url.host}`;
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
