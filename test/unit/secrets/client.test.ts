import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvocationDeadline } from '../../../shared/net/deadline';
import { secretsManager } from '../../../shared/secrets/client';
import { describeSecret } from '../../../shared/secrets/describe';

/**
 * The Secrets Manager client's retries are bounded: a few attempts, each with a request timeout,
 * and every call carries the invocation's deadline, which stops the call and its back-off.
 */
let server: Server;
let calls = 0;

beforeAll(async () => {
  // A Secrets Manager that throttles every call, on loopback: the SDK would back off and retry.
  server = createServer((request, response) => {
    calls++;
    request.resume();
    response.writeHead(400, {
      'Content-Type': 'application/x-amz-json-1.1',
      'x-amzn-ErrorType': 'ThrottlingException',
    });
    response.end(JSON.stringify({ __type: 'ThrottlingException', message: 'Rate exceeded' }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  process.env.AWS_ENDPOINT_URL = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

describe('the Secrets Manager client', () => {
  it('uses the standard retry mode with at most 4 attempts', async () => {
    const { retryMode } = secretsManager().config;
    expect(typeof retryMode === 'string' ? retryMode : await retryMode()).toBe('standard');
    expect(await secretsManager().config.maxAttempts()).toBe(4);
  });

  it('stops retrying when the invocation deadline fires, instead of backing off past it', async () => {
    const deadline = new InvocationDeadline(Date.now() + 10_000, 2_000);
    setTimeout(() => deadline.expire(), 300);
    calls = 0;
    const started = Date.now();
    await expect(describeSecret('arn:aws:secretsmanager:us-east-1:1:secret:s', deadline)).rejects.toThrow();
    // Throttling back-off alone could take up to 7 s over 4 attempts; the deadline ended it.
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(deadline.lastWaitingFor).toBe('Secrets Manager DescribeSecret');
    const made = calls;
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(calls).toBe(made);
  });
});
