import * as z from 'zod/mini';
import { parserFor } from '../../shared/rotation/secret-format';

/** PostgreSQL's identifier limit (NAMEDATALEN - 1), in bytes. */
export const MAX_IDENTIFIER_BYTES = 63;
const DEFAULT_PORT = 5432;
export const DEFAULT_DATABASE = 'postgres';

const isPort = (value: unknown): value is number | string => {
  const port = typeof value === 'string' && /^\d{1,5}$/.test(value) ? Number(value) : value;
  return typeof port === 'number' && Number.isInteger(port) && port >= 1 && port <= 65535;
};

/** AWS's own functions accept `ssl` as a boolean or the strings "true"/"false"; so do we. */
const isSslFlag = (value: unknown): value is boolean | string =>
  typeof value === 'boolean' || (typeof value === 'string' && /^(true|false)$/i.test(value));

const roleName = z.string().check(
  z.minLength(1),
  z.refine(
    (name) => Buffer.byteLength(name, 'utf8') <= MAX_IDENTIFIER_BYTES && !name.includes('\0'),
    `must be at most ${MAX_IDENTIFIER_BYTES} bytes without NUL characters (PostgreSQL's identifier limit)`,
  ),
);

const port = z.optional(z.custom<number | string>(isPort, 'must be an integer between 1 and 65535'));
const ssl = z.optional(z.custom<boolean | string>(isSslFlag, 'must be true or false'));
/**
 * Exactly `true` lets this secret's password answer an MD5 challenge (a role whose stored password
 * predates SCRAM). A boolean only: a string "true" is a typo away from "ture", and MD5 is opt-in.
 */
const allowMd5 = z.optional(z.boolean());

/**
 * The format AWS's RDS rotation functions use, so existing secrets work unchanged. Unknown keys
 * (dbInstanceIdentifier, proxy names...) survive rotation.
 */
const PostgresSecretSchema = z.looseObject({
  engine: z.enum(['postgres', 'aurora-postgresql']),
  host: z.string().check(z.minLength(1)),
  port,
  username: roleName,
  password: z.string().check(z.minLength(1)),
  dbname: z.optional(z.string().check(z.minLength(1))),
  /** Present: alternating users, with this secret's credential as the admin. */
  masterarn: z.optional(z.string().check(z.minLength(1))),
  ssl,
  allow_md5_password: allowMd5,
});
export type PostgresSecret = z.infer<typeof PostgresSecretSchema>;

export const parsePostgresSecret = parserFor(PostgresSecretSchema, 'postgres');

/**
 * The admin secret `masterarn` points at. RDS-managed master secrets hold only username and
 * password, so everything else is optional and defaults to the application secret's endpoint.
 */
const MasterSecretSchema = z.looseObject({
  engine: z.optional(z.enum(['postgres', 'aurora-postgresql'])),
  host: z.optional(z.string().check(z.minLength(1))),
  port,
  username: roleName,
  password: z.string().check(z.minLength(1)),
  dbname: z.optional(z.string().check(z.minLength(1))),
  ssl,
  allow_md5_password: allowMd5,
});

export type MasterSecret = z.infer<typeof MasterSecretSchema>;

export const parseMasterSecret = parserFor(MasterSecretSchema, 'postgres master');

/** Where a connection goes. `tls: false` only when the secret whose password is sent says so. */
export interface Endpoint {
  host: string;
  port: number;
  database: string;
  tls: boolean;
}

export function portOf(value: number | string | undefined): number {
  return value === undefined ? DEFAULT_PORT : Number(value);
}

/** `ssl` absent or true means TLS with verification; false (or "false") is the only way out. */
export function tlsOf(value: boolean | string | undefined): boolean {
  if (value === undefined) return true;
  return typeof value === 'boolean' ? value : value.toLowerCase() !== 'false';
}

export function endpointOf(secret: PostgresSecret): Endpoint {
  return {
    host: secret.host,
    port: portOf(secret.port),
    database: secret.dbname ?? DEFAULT_DATABASE,
    tls: tlsOf(secret.ssl),
  };
}

/** "host:port/database", for messages. Never carries a credential. */
export function describeEndpoint(endpoint: Endpoint): string {
  return `${endpoint.host}:${endpoint.port}/${endpoint.database}`;
}

/** The login of a secret's own role: its password answers MD5 only when that secret opts in. */
export function loginOf(secret: PostgresSecret, credential: string) {
  return {
    username: secret.username,
    password: secret.password,
    credential,
    allowMd5: secret.allow_md5_password === true,
  };
}
