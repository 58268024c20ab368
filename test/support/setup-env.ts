import { motoEnvironment } from '../../dev/aws/moto';

// Every test file runs with dummy credentials and never reaches AWS. Unit tests mock the SDK
// clients; this endpoint (the discard port on loopback) answers nothing should a call slip through.
// Integration files point at the shared moto server instead (setup-moto.ts).
Object.assign(process.env, motoEnvironment('http://127.0.0.1:9'), {
  POWERTOOLS_METRICS_NAMESPACE: 'SecretRotationTest',
  ALLOW_LOOPBACK_HTTP: 'true',
});

// The functions log one JSON line per step and emit metrics as JSON lines: useful in Lambda, noise
// in a test report, and a failure's audit line ({"level":"ERROR",...}, on stderr) would look like a
// failing test in a green run. Drop them from both streams here (tests that assert on them capture
// them first, see capture.ts); TEST_LOGS=1 shows them.
const isFunctionOutput = (chunk: unknown) =>
  typeof chunk === 'string' && (chunk.startsWith('{"level":') || chunk.startsWith('{"_aws":'));

function dropFunctionOutput(stream: NodeJS.WriteStream): void {
  const write = stream.write.bind(stream);
  stream.write = ((chunk: unknown, ...rest: never[]) =>
    isFunctionOutput(chunk) ? true : write(chunk as string, ...rest)) as typeof stream.write;
}

if (!process.env.TEST_LOGS) {
  dropFunctionOutput(process.stdout);
  dropFunctionOutput(process.stderr);
}
