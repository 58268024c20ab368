import { withPowertools } from '../../shared/observability/lambda-handler';
import { emergencyRotate } from './emergency-rotation';

export const handler = withPowertools((event: unknown) => emergencyRotate(event));
