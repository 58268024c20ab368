import { createRotationHandler } from '../../shared/rotation/handler';
import { redisRotator } from './rotator';

export const handler = createRotationHandler(redisRotator);
