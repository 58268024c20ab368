import { auditedHandler } from '../../shared/rotation/auditing';
import { emergencyOperation } from './emergency-rotation';

export const handler = auditedHandler(emergencyOperation());
