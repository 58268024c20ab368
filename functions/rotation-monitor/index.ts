import { auditedHandler } from '../../shared/rotation/auditing';
import { monitorOperation } from './monitor';

export const handler = auditedHandler(monitorOperation());
