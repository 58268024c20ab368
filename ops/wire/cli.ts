import { WireError } from './errors';
import { ScheduleError } from './schedule';

/**
 * Print why wire/unwire stopped and return the exit code: 1 for a refusal or a failed change (the
 * message says what to do), 2 for a schedule Secrets Manager would refuse, 3 when AWS itself could not be reached or answered with an error.
 */
export function reportFailure(
  error: unknown,
  write: (text: string) => void = (text) => process.stderr.write(text),
): number {
  const { name, message } = error as Error;
  if (error instanceof ScheduleError) {
    write(`${name}: ${message}\n`);
    return 2; // a bad --schedule or --window is a bad argument
  }
  if (error instanceof WireError) {
    write(`${name}: ${message}\n`);
    return 1;
  }
  const where = process.env.AWS_ENDPOINT_URL ?? 'AWS';
  write(`could not complete against ${where}: ${name}: ${message}\n`);
  return 3;
}
