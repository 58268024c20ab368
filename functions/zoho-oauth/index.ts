import { createRotationHandler } from '../../shared/rotation/handler';
import { zohoOAuthRotator } from './rotator';

export const handler = createRotationHandler(zohoOAuthRotator);
