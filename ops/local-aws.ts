/**
 * `--local`: talk to moto as docs/operations.md starts it (AWS_ENDPOINT_URL, default
 * http://127.0.0.1:5000) with dummy credentials, which moto accepts. What the environment already
 * names wins.
 */
export function useLocalAws(env: NodeJS.ProcessEnv = process.env): void {
  env.AWS_ENDPOINT_URL ??= 'http://127.0.0.1:5000';
  env.AWS_ACCESS_KEY_ID ??= 'test';
  env.AWS_SECRET_ACCESS_KEY ??= 'test';
  env.AWS_REGION ??= 'us-east-1';
}
