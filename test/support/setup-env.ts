import { motoEnvironment } from '../../dev/aws/moto';

// Every test file runs with dummy credentials and never reaches AWS. Unit tests mock the SDK
// clients; this endpoint (the discard port on loopback) answers nothing should a call slip through.
// Integration files point at the shared moto server instead (setup-moto.ts).
Object.assign(process.env, motoEnvironment('http://127.0.0.1:9'), {
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
