import { withPowertools } from '../../shared/observability/lambda-handler';
import { runMonitor } from './monitor';

export const handler = withPowertools(() => runMonitor());
