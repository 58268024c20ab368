/**
 * The bench's floor for a function of this kind: the Secrets Manager client and the Powertools
 * logger, nothing else, created at load as a minimal rotation function would. Built with the
 * suite's own build options, so each bundle's ratio to it is what the suite adds.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';

const logger = new Logger();
const client = new SecretsManagerClient({});

export async function handler(): Promise<string> {
  logger.info('baseline');
  return (await client.config.region()) ?? '';
}
