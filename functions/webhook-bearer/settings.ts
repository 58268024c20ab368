import { type DestinationPolicy, destinationPolicyFromEnv } from '../../shared/net/destination-policy';

/**
 * Where this function may send a webhook token: ALLOWED_HOSTS (template parameter
 * WebhookAllowedHosts), ALLOW_PRIVATE_DESTINATIONS (WebhookAllowPrivateDestinations) and
 * ALLOW_LOOPBACK_HTTP. With no ALLOWED_HOSTS, any public https host the secret names is reached;
 * set it in production (docs/security.md). Read per use, so a bad value fails the step with a
 * ConfigurationError in its audit line rather than the cold start.
 */
export function webhookDestinations(env: NodeJS.ProcessEnv = process.env): DestinationPolicy {
  return destinationPolicyFromEnv(env);
}
