import { createRotationHandler } from '../../shared/rotation/invocation';
import { webhookBearerRotator } from './rotator';

export const handler = createRotationHandler(webhookBearerRotator);
