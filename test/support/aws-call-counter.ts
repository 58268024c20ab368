import { request } from 'node:http';
import { listen } from './http-server';

export interface AwsCallCounter {
  /** Point a function's AWS_ENDPOINT_URL here. */
  endpoint: string;
  /** Calls seen since the last reset, by operation ("GetSecretValue": 3). */
  counts(): Record<string, number>;
  total(): number;
  reset(): void;
  stop(): Promise<void>;
}

/**
 * A pass-through proxy in front of moto that counts AWS API calls by operation (the X-Amz-Target
 * header of JSON protocol services such as Secrets Manager). Measures what a rotation costs.
 */
export async function startAwsCallCounter(upstream: string): Promise<AwsCallCounter> {
  const target = new URL(upstream);
  let counts: Record<string, number> = {};
  const http = await listen(
    (req, res) =>
      new Promise<void>((resolve, reject) => {
        const operation = String(req.headers['x-amz-target'] ?? `${req.method} ${req.url}`).replace(
          /^[\w]+\./,
          '',
        );
        counts[operation] = (counts[operation] ?? 0) + 1;
        const forward = request(
          {
            host: target.hostname,
            port: target.port,
            method: req.method,
            path: req.url,
            headers: { ...req.headers, host: target.host },
          },
          (upstreamRes) => {
            res.writeHead(upstreamRes.statusCode ?? 502, upstreamRes.headers);
            upstreamRes.pipe(res).on('finish', resolve);
          },
        );
        forward.on('error', reject);
        req.pipe(forward);
      }),
  );
  return {
    endpoint: http.origin,
    counts: () => ({ ...counts }),
    total: () => Object.values(counts).reduce((sum, n) => sum + n, 0),
    reset() {
      counts = {};
    },
    stop: http.stop,
  };
}
