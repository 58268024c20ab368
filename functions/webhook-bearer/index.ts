import { createRotationHandler } from '../../shared/rotation/handler';
import { webhookBearerRotator } from './rotator';

export const handler = createRotationHandler(webhookBearerRotator);
