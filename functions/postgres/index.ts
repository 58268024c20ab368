import { createRotationHandler } from '../../shared/rotation/handler';
import { postgresRotator } from './rotator';

export const handler = createRotationHandler(postgresRotator);
