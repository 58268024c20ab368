import { type DestinationPolicy, destinationPolicyFromEnv } from '../../shared/net/destination-policy';

/**
 * Where this function may send a refresh token: by default only Zoho's data centres
 * (data-centres.ts); ALLOWED_HOSTS (template parameter ZohoAllowedHosts) replaces that list, for
 * an estate that reaches Zoho through its own gateway. ALLOW_PRIVATE_DESTINATIONS and
 * ALLOW_LOOPBACK_HTTP work as everywhere (docs/security.md).
 */
export function zohoDestinations(env: NodeJS.ProcessEnv = process.env): DestinationPolicy {
  return destinationPolicyFromEnv(env);
}
