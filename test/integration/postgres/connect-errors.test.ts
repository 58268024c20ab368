import { createServer, type Server, type Socket } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { connect, type Login } from '../../../functions/postgres/connection';
import {
  CleartextPasswordRefusedError,
  DatabaseNotFoundError,
  LoginRefusedError,
  PasswordRejectedError,
  TlsUnavailableError,
} from '../../../functions/postgres/errors';
import type { Endpoint } from '../../../functions/postgres/secret';
import { noDeadline } from '../../../shared/net/deadline';
import { TargetUnreachableError } from '../../../shared/errors';
import { freePort } from '../../../dev/lib/ports';
import { type PostgresCluster, startPostgres } from '../../../dev/targets/postgres/cluster';
import { APP_DATABASE, createAppRole, uniqueRoleName } from '../../../dev/targets/postgres/fixture';

/**
 * Every expected way a login fails, against a real server, and what the function makes of it: a
 * typed error whose message names the role, the credential and the endpoint, never the password.
 */
let cluster: PostgresCluster;
let role: Login;
let endpoint: Endpoint;

const CLEARTEXT_ROLE = 'cleartext_only';
const HBA_REFUSED_ROLE = 'refused_by_hba';

beforeAll(async () => {
  cluster = await startPostgres({
    hbaRules: [
      `host all ${HBA_REFUSED_ROLE} 127.0.0.1/32 reject`,
      `host all ${CLEARTEXT_ROLE} 127.0.0.1/32 password`,
    ],
  });
  role = { username: uniqueRoleName(), password: 'correct-horse-Battery-9', credential: 'AWSCURRENT' };
  await createAppRole(cluster, role);
  endpoint = { host: cluster.host, port: cluster.port, database: APP_DATABASE, tls: false };
});

afterAll(async () => {
  await cluster?.stop();
});

afterEach(() => {
  delete process.env.PG_CONNECT_TIMEOUT_MS;
});

async function failure(target: Endpoint, login: Login): Promise<Error> {
  const outcome = await connect(target, login, noDeadline()).then(
    async (client) => {
      await client.end();
      return new Error('connected');
    },
    (error: unknown) => error as Error,
  );
  expect(outcome.message).not.toContain(login.password);
  return outcome;
}

describe('PostgreSQL login failures become typed errors', () => {
  it('logs in with the right password', async () => {
    const client = await connect(endpoint, role, noDeadline());
    expect((await client.query('SELECT session_user AS u')).rows).toEqual([{ u: role.username }]);
    await client.end();
  });

  it('wrong password (28P01): PasswordRejectedError naming role, credential and endpoint', async () => {
    const error = await failure(endpoint, { ...role, password: 'wrong-password-123' });
    expect(error).toBeInstanceOf(PasswordRejectedError);
    expect(error.message).toBe(
      `password authentication failed for role "${role.username}" (AWSCURRENT) at 127.0.0.1:${cluster.port}/appdb`,
    );
  });

  it('a role that does not exist is a rejected password too (scram does not reveal which roles exist)', async () => {
    expect(await failure(endpoint, { ...role, username: 'no_such_role' })).toBeInstanceOf(
      PasswordRejectedError,
    );
  });

  it('a NOLOGIN role (28000): LoginRefusedError', async () => {
    const name = uniqueRoleName('nologin');
    await cluster.query(`CREATE ROLE ${name} NOLOGIN PASSWORD 'irrelevant-pass-1'`);
    const error = await failure(endpoint, { ...role, username: name, password: 'irrelevant-pass-1' });
    expect(error).toBeInstanceOf(LoginRefusedError);
    expect(error.message).toContain(`the server refused the login of role "${name}" (AWSCURRENT)`);
  });

  it('a pg_hba.conf reject rule (28000): LoginRefusedError', async () => {
    await cluster.query(`CREATE ROLE ${HBA_REFUSED_ROLE} LOGIN PASSWORD 'refused-pass-1'`);
    const error = await failure(endpoint, {
      ...role,
      username: HBA_REFUSED_ROLE,
      password: 'refused-pass-1',
    });
    expect(error).toBeInstanceOf(LoginRefusedError);
    expect(error.message).toContain('no pg_hba.conf entry allows it');
  });

  it('a database that does not exist (3D000): DatabaseNotFoundError', async () => {
    const error = await failure({ ...endpoint, database: 'no_such_db' }, role);
    expect(error).toBeInstanceOf(DatabaseNotFoundError);
    expect(error.message).toBe(`database "no_such_db" does not exist at 127.0.0.1:${cluster.port}`);
  });

  it('nothing listening: TargetUnreachableError, retryable', async () => {
    const error = await failure({ ...endpoint, port: await freePort() }, role);
    expect(error).toBeInstanceOf(TargetUnreachableError);
    expect(error.message).toMatch(/refused the connection$/);
    expect((error as TargetUnreachableError).retryable).toBe(true);
  });

  it('a server that never answers: TargetUnreachableError after PG_CONNECT_TIMEOUT_MS', async () => {
    const sockets: Socket[] = [];
    const silent: Server = createServer((socket) => sockets.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const port = (silent.address() as { port: number }).port;
    process.env.PG_CONNECT_TIMEOUT_MS = '300';
    const started = Date.now();
    try {
      const error = await failure({ ...endpoint, port }, role);
      expect(error).toBeInstanceOf(TargetUnreachableError);
      expect(error.message).toBe(
        `127.0.0.1:${port}/appdb did not complete the login of role "${role.username}" (AWSCURRENT) within 300 ms`,
      );
      expect(Date.now() - started).toBeLessThan(2_000);
    } finally {
      for (const socket of sockets) socket.destroy();
      silent.close();
    }
  });

  it('TLS required but the server offers none: TlsUnavailableError, no plaintext fallback', async () => {
    const error = await failure({ ...endpoint, tls: true }, role);
    expect(error).toBeInstanceOf(TlsUnavailableError);
  });

  it('a server asking for the password in clear text is refused (pg_hba `password`)', async () => {
    await cluster.query(`CREATE ROLE ${CLEARTEXT_ROLE} LOGIN PASSWORD 'cleartext-pass-1'`);
    const error = await failure(endpoint, {
      ...role,
      username: CLEARTEXT_ROLE,
      password: 'cleartext-pass-1',
    });
    expect(error).toBeInstanceOf(CleartextPasswordRefusedError);
    expect(error.message).toBe(
      `the server asked for the password of role "${CLEARTEXT_ROLE}" in clear text; refused`,
    );
  });

  it('a fake server asking for the password in clear text never receives it', async () => {
    const received: Buffer[] = [];
    const fake = createServer((socket) => {
      socket.once('data', (startup) => {
        received.push(startup);
        // AuthenticationCleartextPassword: 'R', length 8, code 3.
        socket.write(Buffer.from([0x52, 0, 0, 0, 8, 0, 0, 0, 3]));
        socket.on('data', (chunk) => received.push(chunk));
      });
    });
    await new Promise<void>((resolve) => fake.listen(0, '127.0.0.1', resolve));
    const port = (fake.address() as { port: number }).port;
    try {
      const error = await failure({ ...endpoint, port }, role);
      expect(error).toBeInstanceOf(CleartextPasswordRefusedError);
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(Buffer.concat(received).includes(role.password)).toBe(false);
      expect(Buffer.concat(received).includes(role.username)).toBe(true);
    } finally {
      fake.close();
    }
  });
});
