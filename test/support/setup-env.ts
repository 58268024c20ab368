import { inject } from 'vitest';
import { motoEnvironment } from '../../dev/aws/moto';

// Every test file talks to the shared moto server with dummy credentials, never to AWS. Unit tests
// mock the SDK clients, so this address is never reached from them.
Object.assign(process.env, motoEnvironment(inject('motoEndpoint')), {
  POWERTOOLS_METRICS_NAMESPACE: 'SecretRotationTest',
  ALLOW_LOOPBACK_HTTP: 'true',
});

// The functions log one JSON line per step and emit metrics as JSON lines: useful in Lambda, noise
// in a test report. Drop them here (tests that assert on them capture them first, see capture.ts);
// TEST_LOGS=1 shows them.
if (!process.env.TEST_LOGS) {
  const write = process.stdout.write.bind(process.stdout);
  const isFunctionOutput = (chunk: unknown) =>
    typeof chunk === 'string' && (chunk.startsWith('{"level":') || chunk.startsWith('{"_aws":'));
  process.stdout.write = ((chunk: unknown, ...rest: never[]) =>
    isFunctionOutput(chunk) ? true : write(chunk as string, ...rest)) as typeof process.stdout.write;
}
