import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect as netConnect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import { Redis } from 'ioredis';
import { freePort, waitFor } from '../../lib/ports';
import { type Background, hasCommand, startBackground } from '../../lib/processes';
import type { TestPki } from '../tls';

export const REDIS_INSTALL_HINT =
  'redis-server is not on PATH. Install Redis 7 (apt-get install redis-server).';

export interface RedisCredentials {
  username: string;
  password: string;
}

/** An ACL user to create at start: `rules` are ACL SETUSER rules without the password. */
export interface RedisUserSpec extends RedisCredentials {
  rules: string;
}

export interface StartRedisOptions {
  /** Serve TLS only (no plain port), with this PKI's server certificate. */
  tls?: TestPki;
  /** Load users from an ACL file (default true); false: users come from `user` config directives. */
  aclFile?: boolean;
  /** Start as a replica of this server, authenticating as its admin. */
  replicaOf?: RedisServer;
  /** Extra users besides `admin` (and `default`, which is off unless given here). */
  users?: RedisUserSpec[];
  /** A port to listen on (a node coming back where a secret expects it); default a free one. */
  port?: number;
}

/** A throwaway redis-server on a free loopback port, with real ACL users and passwords. */
export interface RedisServer {
  host: string;
  port: number;
  /** host:port, the form the secret's `nodes` uses. */
  address: string;
  tls: TestPki | undefined;
  /** An ACL admin (`+@all`) created at start. */
  adminCreds: RedisCredentials;
  /** The users created at start, admin included: a replica gets the same. */
  users: RedisUserSpec[];
  aclFilePath: string | undefined;
  /** A fresh client; the caller quits it. Fails fast: no reconnect, no retries. */
  connect(credentials?: RedisCredentials): Promise<Redis>;
  /** Run one command as admin on a fresh connection. */
  adminCall(...args: string[]): Promise<unknown>;
  /** The SHA-256 password hashes a user holds, sorted. */
  passwordHashes(username: string): Promise<string[]>;
  /** Whether a fresh connection can authenticate with these credentials (PING answered). */
  accepts(credentials: RedisCredentials): Promise<boolean>;
  /** Create (or reset) a user with one password, on this server only; saved to the ACL file. */
  createUser(spec: RedisUserSpec): Promise<void>;
  /** Raw MONITOR output, line by line, on an admin connection. */
  monitor(): Promise<MonitorCapture>;
  /** Everything the server printed (its log), for failure messages. */
  log(): string;
  /**
   * Stop the server (SIGTERM: it closes every client connection) and start it again on the same
   * port with the same files: users come back from the ACL file as last saved.
   */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

export interface MonitorCapture {
  /** The lines the server sent so far (RESP status lines, as the server wrote them). */
  lines(): string[];
  stop(): void;
}

export function sha256Hex(value: string): string {
  return createHash('sha256').update(value, 'utf8').digest('hex');
}

/** A password for test users: long, random, and distinctive enough to search for in output. */
export function testPassword(label = 'pw'): string {
  return `${label}-${randomBytes(12).toString('base64url')}`;
}

/** An ACL rule line for a user, the password given by hash so it never sits in a file or argv. */
function userLine(spec: RedisUserSpec): string {
  return `${spec.username} on #${sha256Hex(spec.password)} ${spec.rules}`;
}

const ADMIN_RULES = '~* &* +@all';

/**
 * Start redis-server with ACL users that have real passwords. The default user is off unless
 * `users` defines it, so every test connection really authenticates.
 */
export async function startRedis(options: StartRedisOptions = {}): Promise<RedisServer> {
  if (!hasCommand('redis-server')) throw new Error(REDIS_INSTALL_HINT);
  const dir = mkdtempSync(join(tmpdir(), 'rotation-redis-'));
  const port = options.port ?? (await freePort());
  const admin: RedisUserSpec = options.replicaOf
    ? (options.replicaOf.users[0] as RedisUserSpec)
    : { username: 'admin', password: testPassword('admin'), rules: ADMIN_RULES };
  const extra = options.users ?? options.replicaOf?.users.slice(1) ?? [];
  const users = [admin, ...extra];
  const lines = users.map(userLine);
  if (!users.some((user) => user.username === 'default')) lines.push('default off resetpass -@all');

  const useAclFile = options.aclFile ?? true;
  const aclFilePath = useAclFile ? join(dir, 'users.acl') : undefined;
  // No disk, and replicas sync at once (Redis 7 waits 5 s by default to batch diskless syncs).
  const args = [
    '--bind',
    '127.0.0.1',
    '--save',
    '',
    '--appendonly',
    'no',
    '--dir',
    dir,
    '--repl-diskless-sync-delay',
    '0',
  ];
  if (aclFilePath) {
    writeFileSync(aclFilePath, lines.map((line) => `user ${line}\n`).join(''));
    args.push('--aclfile', aclFilePath);
  } else {
    for (const line of lines) args.push('--user', ...line.split(' '));
  }
  // A replica of a TLS primary serves TLS too, and replicates over it.
  const tls = options.tls ?? options.replicaOf?.tls;
  if (tls) {
    args.push(
      '--port',
      '0',
      '--tls-port',
      String(port),
      '--tls-cert-file',
      tls.serverCert,
      '--tls-key-file',
      tls.serverKey,
      '--tls-ca-cert-file',
      tls.caCert,
      '--tls-auth-clients',
      'no',
    );
    if (options.replicaOf?.tls) args.push('--tls-replication', 'yes');
  } else {
    args.push('--port', String(port));
  }
  if (options.replicaOf) {
    const primary = options.replicaOf;
    args.push(
      '--replicaof',
      primary.host,
      String(primary.port),
      '--masteruser',
      primary.adminCreds.username,
      '--masterauth',
      primary.adminCreds.password,
    );
  }

  const parts: HandleParts = {
    port,
    dir,
    tls,
    admin,
    users,
    aclFilePath,
    args,
    process: startBackground('redis-server', args),
  };
  const server = makeHandle(parts);
  try {
    await untilAccepting(server);
  } catch (error) {
    await server.stop();
    throw new Error(`${(error as Error).message}\n${parts.process.output()}`, { cause: error });
  }
  return server;
}

function untilAccepting(server: RedisServer): Promise<void> {
  return waitFor(`redis-server on port ${server.port}`, () => server.accepts(server.adminCreds), {
    timeoutMs: 15_000,
    intervalMs: 50,
  });
}

interface HandleParts {
  port: number;
  dir: string;
  tls: TestPki | undefined;
  admin: RedisUserSpec;
  users: RedisUserSpec[];
  aclFilePath: string | undefined;
  /** redis-server's arguments, to start it again the same way. */
  args: string[];
  process: Background;
}

function makeHandle(parts: HandleParts): RedisServer {
  const host = '127.0.0.1';
  const { port, tls } = parts;
  const adminCreds = { username: parts.admin.username, password: parts.admin.password };

  const connect = async (credentials: RedisCredentials = adminCreds): Promise<Redis> => {
    const client = new Redis({
      host,
      port,
      ...credentials,
      ...(tls ? { tls: { ca: readFileSync(tls.caCert) } } : {}),
      lazyConnect: true,
      connectTimeout: 2_000,
      commandTimeout: 5_000,
      retryStrategy: () => null,
      maxRetriesPerRequest: 0,
      enableOfflineQueue: false,
      enableReadyCheck: false,
      disableClientInfo: true,
    });
    let firstError: unknown;
    client.on('error', (error: unknown) => {
      firstError ??= error;
    });
    try {
      await client.connect();
    } catch (error) {
      client.disconnect();
      throw firstError ?? error;
    }
    return client;
  };

  const adminCall = async (...args: string[]): Promise<unknown> => {
    const client = await connect();
    try {
      return await client.call(args[0] as string, ...args.slice(1));
    } finally {
      client.disconnect();
    }
  };

  const handle: RedisServer = {
    host,
    port,
    address: `${host}:${port}`,
    tls,
    adminCreds,
    users: parts.users,
    aclFilePath: parts.aclFilePath,
    connect,
    adminCall,
    async passwordHashes(username) {
      const reply = (await adminCall('ACL', 'GETUSER', username)) as unknown[] | null;
      if (!reply) throw new Error(`no user ${username} on ${host}:${port}`);
      const passwords = reply[reply.indexOf('passwords') + 1] as string[];
      return [...passwords].sort();
    },
    async accepts(credentials) {
      let client: Redis | undefined;
      try {
        client = await connect(credentials);
        return (await client.ping()) === 'PONG';
      } catch (error) {
        if (/WRONGPASS/.test((error as Error).message)) return false;
        throw error;
      } finally {
        client?.disconnect();
      }
    },
    async createUser(spec) {
      await adminCall('ACL', 'SETUSER', spec.username, 'reset', ...userLine(spec).split(' ').slice(1));
      if (parts.aclFilePath) await adminCall('ACL', 'SAVE');
    },
    monitor: () => startMonitor(host, port, tls, adminCreds),
    log: () => parts.process.output(),
    async restart() {
      await parts.process.stop();
      parts.process = startBackground('redis-server', parts.args);
      await untilAccepting(handle);
    },
    async stop() {
      await parts.process.stop();
      rmSync(parts.dir, { recursive: true, force: true });
    },
  };
  return handle;
}

function resp(...args: string[]): string {
  return `*${args.length}\r\n${args.map((arg) => `$${Buffer.byteLength(arg)}\r\n${arg}\r\n`).join('')}`;
}

/**
 * MONITOR on a raw socket: the test sees exactly the bytes the server emits, not a client
 * library's parse of them.
 */
async function startMonitor(
  host: string,
  port: number,
  tls: TestPki | undefined,
  admin: RedisCredentials,
): Promise<MonitorCapture> {
  const socket: Socket = tls
    ? tlsConnect({ host, port, ca: readFileSync(tls.caCert) })
    : netConnect({ host, port });
  let text = '';
  socket.on('data', (chunk: Buffer) => {
    text += chunk.toString('utf8');
  });
  socket.on('error', () => undefined);
  await new Promise<void>((resolve, reject) => {
    socket.once(tls ? 'secureConnect' : 'connect', () => resolve());
    socket.once('error', reject);
  });
  socket.write(resp('AUTH', admin.username, admin.password) + resp('MONITOR'));
  await waitFor('MONITOR to start', async () => text.split('\r\n').filter((l) => l === '+OK').length >= 2, {
    timeoutMs: 5_000,
    intervalMs: 10,
  });
  return {
    lines: () => text.split('\r\n').filter((line) => line.length > 0),
    stop: () => socket.destroy(),
  };
}
