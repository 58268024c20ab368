import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  appendFileSync,
  copyFileSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
} from 'node:fs';
import { writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { freePort } from '../../lib/ports';
import type { TestPki } from '../tls';

/**
 * Throwaway PostgreSQL clusters for tests, the demo and the bench: initdb into a temp dir with
 * scram-sha-256 everywhere (passwords are really checked), a free loopback port, the unix socket in
 * the temp dir, optional TLS with a test CA and optional `log_statement = 'all'`.
 *
 * initdb and postgres refuse to run as root; as root (CI) every server command runs as the
 * `postgres` system user through runuser, and the temp dir is handed to that user.
 */

export interface PostgresOptions {
  /** Serve TLS with the PKI's server certificate (clients may still connect without). */
  tls?: TestPki;
  /** log_statement = 'all': every statement lands in `logFile`, to prove what never does. */
  logStatements?: boolean;
  /** pg_hba.conf lines placed before the default scram-sha-256 rules (first match wins). */
  hbaRules?: string[];
}

export interface Credentials {
  username: string;
  password: string;
}

export interface PostgresCluster {
  host: string;
  port: number;
  superuser: Credentials;
  dataDir: string;
  logFile: string;
  tls: boolean;
  /** The CA that signed the server certificate, when the cluster serves TLS. */
  caCert: string | undefined;
  /** Run SQL as the superuser (plain TCP) in `database` (default `postgres`); returns the rows. */
  query<R extends Record<string, unknown> = Record<string, unknown>>(
    sql: string,
    params?: unknown[],
    database?: string,
  ): Promise<R[]>;
  /** Everything the server logged so far. */
  readLog(): string;
  /**
   * Restart the server (`pg_ctl restart -m fast`, same port and data): every session is ended with
   * 57P01 "terminating connection due to administrator command", as in a failover or a reboot.
   */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

const LOOPBACK = '127.0.0.1';

/** Where the server binaries are: PG_BIN_DIR, else Debian's newest /usr/lib/postgresql/<major>/bin, else PATH. */
export function postgresBinDir(): string | undefined {
  if (process.env.PG_BIN_DIR) return process.env.PG_BIN_DIR;
  const debian = '/usr/lib/postgresql';
  if (existsSync(debian)) {
    const majors = readdirSync(debian)
      .filter((name) => existsSync(join(debian, name, 'bin', 'initdb')))
      .sort((a, b) => Number(b) - Number(a));
    if (majors[0]) return join(debian, majors[0], 'bin');
  }
  try {
    return execFileSync('pg_config', ['--bindir'], { encoding: 'utf8' }).trim();
  } catch {
    return undefined;
  }
}

export const POSTGRES_INSTALL_HINT =
  'PostgreSQL server binaries (initdb, pg_ctl) not found: install postgresql-15 (Debian: apt-get install postgresql-15) or set PG_BIN_DIR.';

const runningAsRoot = () => userInfo().uid === 0;

/** Run a server binary, as the postgres system user when we are root. */
function runServerCommand(binDir: string, command: string, args: string[]): string {
  const binary = join(binDir, command);
  const [file, argv] = runningAsRoot()
    ? ['runuser', ['-u', 'postgres', '--', binary, ...args]]
    : [binary, args];
  try {
    return execFileSync(file, argv, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (error) {
    const failure = error as { stderr?: string; stdout?: string; message: string };
    throw new Error(`${command} failed: ${failure.stderr || failure.stdout || failure.message}`, {
      cause: error,
    });
  }
}

function handToServerUser(dir: string): void {
  if (runningAsRoot()) execFileSync('chown', ['-R', 'postgres:postgres', dir]);
}

function serverConfig(port: number, dir: string, options: PostgresOptions): string {
  const lines = [
    `port = ${port}`,
    `listen_addresses = '${LOOPBACK}'`,
    `unix_socket_directories = '${dir}'`,
    // A test cluster loses nothing worth keeping in a crash: skip the disk flushes.
    'fsync = off',
    'synchronous_commit = off',
    'full_page_writes = off',
    'shared_buffers = 32MB',
    'max_connections = 200',
    'log_connections = on',
    "log_line_prefix = '%m [%p] %q%u@%d '",
    `log_statement = '${options.logStatements ? 'all' : 'none'}'`,
  ];
  if (options.tls) {
    lines.push('ssl = on', "ssl_cert_file = 'server.crt'", "ssl_key_file = 'server.key'");
  }
  return `\n# test cluster\n${lines.join('\n')}\n`;
}

export async function startPostgres(options: PostgresOptions = {}): Promise<PostgresCluster> {
  const binDir = postgresBinDir();
  if (!binDir || !existsSync(join(binDir, 'initdb'))) throw new Error(POSTGRES_INSTALL_HINT);

  const dir = mkdtempSync(join(tmpdir(), 'rotation-pg-'));
  const dataDir = join(dir, 'data');
  const logFile = join(dir, 'server.log');
  const superuser: Credentials = { username: 'postgres', password: randomBytes(18).toString('base64url') };
  writeFileSync(join(dir, 'pwfile'), `${superuser.password}\n`, { mode: 0o600 });
  writeFileSync(logFile, '');
  handToServerUser(dir);

  let started = false;
  const cleanup = () => {
    if (started) {
      try {
        runServerCommand(binDir, 'pg_ctl', ['-D', dataDir, '-m', 'immediate', '-w', 'stop']);
      } catch {
        // already stopped
      }
      started = false;
    }
    rmSync(dir, { recursive: true, force: true });
  };
  // A test process that dies without afterAll must not leave a server behind.
  process.once('exit', cleanup);

  try {
    runServerCommand(binDir, 'initdb', [
      '-D',
      dataDir,
      '-U',
      superuser.username,
      '--auth=scram-sha-256',
      `--pwfile=${join(dir, 'pwfile')}`,
      '-E',
      'UTF8',
      '--locale=C',
      '--no-sync',
      '--no-instructions',
    ]);
    const port = await freePort();
    appendFileSync(join(dataDir, 'postgresql.conf'), serverConfig(port, dir, options));
    if (options.hbaRules?.length) {
      const hbaFile = join(dataDir, 'pg_hba.conf');
      writeFileSync(hbaFile, `${options.hbaRules.join('\n')}\n${readFileSync(hbaFile, 'utf8')}`);
    }
    if (options.tls) {
      copyFileSync(options.tls.serverCert, join(dataDir, 'server.crt'));
      copyFileSync(options.tls.serverKey, join(dataDir, 'server.key'));
      execFileSync('chmod', ['600', join(dataDir, 'server.key')]);
    }
    handToServerUser(dir);
    runServerCommand(binDir, 'pg_ctl', ['-D', dataDir, '-l', logFile, '-w', '-t', '30', 'start']);
    started = true;

    const pools = new Map<string, pg.Pool>();
    const poolFor = (database: string) => {
      let found = pools.get(database);
      if (!found) {
        found = new pg.Pool({
          host: LOOPBACK,
          port,
          user: superuser.username,
          password: superuser.password,
          database,
          // A TLS cluster may refuse plaintext (hostnossl ... reject): the helper verifies like a client.
          ssl: options.tls
            ? { ca: readFileSync(options.tls.caCert, 'utf8'), rejectUnauthorized: true }
            : false,
          max: 2,
        });
        // An idle client told "the server is shutting down" must not become an unhandled error.
        found.on('error', () => undefined);
        pools.set(database, found);
      }
      return found;
    };

    return {
      host: LOOPBACK,
      port,
      superuser,
      dataDir,
      logFile,
      tls: options.tls !== undefined,
      caCert: options.tls?.caCert,
      async query<R extends Record<string, unknown>>(
        sql: string,
        params: unknown[] = [],
        database = 'postgres',
      ) {
        const result = await poolFor(database).query<R>(sql, params);
        return result.rows;
      },
      readLog: () => readFileSync(logFile, 'utf8'),
      async restart() {
        runServerCommand(binDir, 'pg_ctl', [
          '-D',
          dataDir,
          '-l',
          logFile,
          '-m',
          'fast',
          '-w',
          '-t',
          '30',
          'restart',
        ]);
      },
      async stop() {
        await Promise.all([...pools.values()].map((p) => p.end()));
        process.off('exit', cleanup);
        if (started) {
          runServerCommand(binDir, 'pg_ctl', ['-D', dataDir, '-m', 'fast', '-w', 'stop']);
          started = false;
        }
        cleanup();
      },
    };
  } catch (error) {
    process.off('exit', cleanup);
    const log = existsSync(logFile) ? readFileSync(logFile, 'utf8').slice(-4000) : '';
    cleanup();
    throw new Error(`${(error as Error).message}${log ? `\nserver log:\n${log}` : ''}`, { cause: error });
  }
}

/** How a test client reaches the cluster: verified TLS with the test CA when it serves TLS. */
function clientTls(cluster: PostgresCluster): pg.ClientConfig['ssl'] {
  return cluster.caCert ? { ca: readFileSync(cluster.caCert, 'utf8'), rejectUnauthorized: true } : false;
}

/** Open a client as `credentials`, run `body`, always close. For tests that act as an application. */
export async function withLogin<T>(
  cluster: PostgresCluster,
  credentials: Credentials,
  body: (client: pg.Client) => Promise<T>,
  options: { database?: string; ssl?: pg.ClientConfig['ssl'] } = {},
): Promise<T> {
  const client = new pg.Client({
    host: cluster.host,
    port: cluster.port,
    user: credentials.username,
    password: credentials.password,
    database: options.database ?? 'postgres',
    ssl: options.ssl ?? clientTls(cluster),
    connectionTimeoutMillis: 5_000,
  });
  // A session the server ends (a test that revokes it) must not become an unhandled error event.
  client.on('error', () => undefined);
  await client.connect();
  try {
    return await body(client);
  } finally {
    await client.end();
  }
}

/** Whether the server accepts a login with these credentials (false on a password/role rejection). */
export async function canLogin(
  cluster: PostgresCluster,
  credentials: Credentials,
  database = 'postgres',
): Promise<boolean> {
  try {
    await withLogin(cluster, credentials, async (client) => client.query('SELECT 1'), { database });
    return true;
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === '28P01' || code === '28000') return false;
    throw error;
  }
}
