import { type FaultProxy, startFaultProxy } from './fault-proxy';

/**
 * An HTTP proxy in front of moto that counts AWS API calls by action (the X-Amz-Target header of
 * the JSON protocol, e.g. `secretsmanager.GetSecretValue`): the fault proxy with no faults. Give it
 * to one process only (a LocalLambda's environment), and it measures exactly that process's calls,
 * retries included.
 */
export type CountingProxy = Pick<FaultProxy, 'endpoint' | 'counts' | 'total' | 'reset' | 'stop'>;

export function startCountingProxy(upstream: string): Promise<CountingProxy> {
  return startFaultProxy(upstream);
}
