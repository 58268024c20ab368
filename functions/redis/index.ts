import { createRotationHandler } from '../../shared/rotation/invocation';
import { redisRotator } from './rotator';

export const handler = createRotationHandler(redisRotator);
