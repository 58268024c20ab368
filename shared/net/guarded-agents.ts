import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { pinnedLookup } from './pinned-lookup';

/**
 * The agents every outbound HTTP call uses: Node's own, with the pinned lookup, so the address a
 * socket connects to is the one the destination policy checked. SNI and certificate verification
 * use the URL's name as usual. No keep-alive: a rotation makes a handful of calls, and a pooled
 * socket would outlive the policy it was checked under.
 */
export function guardedAgents(lookup = pinnedLookup()): { httpAgent: HttpAgent; httpsAgent: HttpsAgent } {
  return {
    httpAgent: new HttpAgent({ lookup, keepAlive: false }),
    httpsAgent: new HttpsAgent({ lookup, keepAlive: false }),
  };
}
