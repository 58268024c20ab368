import { createRotationHandler } from '../../shared/rotation/invocation';
import { mcpTokenRotator } from './rotator';

export const handler = createRotationHandler(mcpTokenRotator);
