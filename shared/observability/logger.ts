import { Logger } from '@aws-lambda-powertools/logger';
import { redactingReplacer } from './redaction';

/**
 * The one logger of a function. Every line passes through the redacting replacer, so neither a
 * credential-named field nor a remembered secret value can be printed, whoever logs what.
 * The service name comes from POWERTOOLS_SERVICE_NAME (set per function in template.yaml).
 */
export const logger = new Logger({
  serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'secret-rotation',
  jsonReplacerFn: redactingReplacer,
});
