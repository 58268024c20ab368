import { createRotationHandler } from '../../shared/rotation/invocation';
import { zohoOAuthRotator } from './rotator';

export const handler = createRotationHandler(zohoOAuthRotator);
