import { createRotationHandler } from '../../shared/rotation/invocation';
import { postgresRotator } from './rotator';

export const handler = createRotationHandler(postgresRotator);
