import { createRotationHandler } from '../../shared/rotation/handler';
import { mcpTokenRotator } from './rotator';

export const handler = createRotationHandler(mcpTokenRotator);
