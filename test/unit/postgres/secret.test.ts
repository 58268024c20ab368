import { describe, expect, it } from 'vitest';
import {
  endpointOf,
  parseMasterSecret,
  parsePostgresSecret,
  type PostgresSecret,
} from '../../../functions/postgres/secret';
import { SecretFormatError } from '../../../shared/errors';

const RDS_SECRET = {
  engine: 'postgres',
  host: 'crm.cluster-abc.eu-west-1.rds.amazonaws.com',
  port: 5432,
  username: 'crm_app',
  password: 'Sup3r-secret-pass',
  dbname: 'crm',
  masterarn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:rds!cluster-abc',
  dbClusterIdentifier: 'crm',
};

function problemsOf(value: unknown, parse: (v: unknown) => unknown = parsePostgresSecret): string[] {
  try {
    parse(value);
  } catch (error) {
    expect(error).toBeInstanceOf(SecretFormatError);
    expect((error as Error).message).not.toContain('Sup3r-secret-pass');
    return [...(error as SecretFormatError).problems];
  }
  throw new Error('parsed');
}

describe('the PostgreSQL secret format (AWS RDS)', () => {
  it('accepts an RDS secret as is and keeps keys it does not know', () => {
    expect(parsePostgresSecret(RDS_SECRET)).toEqual(RDS_SECRET);
  });

  it('accepts aurora-postgresql, a port given as a string and ssl given as a string, like AWS functions do', () => {
    const parsed = parsePostgresSecret({
      ...RDS_SECRET,
      engine: 'aurora-postgresql',
      port: '6432',
      ssl: 'FALSE',
    });
    expect(endpointOf(parsed)).toEqual({ host: RDS_SECRET.host, port: 6432, database: 'crm', tls: false });
  });

  it('defaults to port 5432, database postgres, and TLS', () => {
    const minimal = { engine: 'postgres', host: 'db', username: 'app', password: 'pw-123456' };
    expect(endpointOf(parsePostgresSecret(minimal) as PostgresSecret)).toEqual({
      host: 'db',
      port: 5432,
      database: 'postgres',
      tls: true,
    });
    expect(endpointOf(parsePostgresSecret({ ...minimal, ssl: true })).tls).toBe(true);
  });

  it('names every missing or mistyped key, never the value', () => {
    expect(
      problemsOf({ ...RDS_SECRET, engine: 'mysql', host: undefined, port: 70000, ssl: 'yes', password: 5 }),
    ).toEqual([
      '`engine` must be one of "postgres", "aurora-postgresql"',
      '`host` is required',
      '`port` must be an integer between 1 and 65535',
      '`password` must be a string',
      '`ssl` must be true or false',
    ]);
  });

  it("refuses a username over PostgreSQL's 63-byte limit, counting bytes, not characters", () => {
    expect(parsePostgresSecret({ ...RDS_SECRET, username: 'a'.repeat(63) }).username).toHaveLength(63);
    // 32 two-byte characters: 32 characters, 64 bytes.
    expect(problemsOf({ ...RDS_SECRET, username: 'é'.repeat(32) })).toEqual([
      "`username` must be at most 63 bytes without NUL characters (PostgreSQL's identifier limit)",
    ]);
  });

  it('accepts an RDS-managed master secret holding only username and password', () => {
    expect(parseMasterSecret({ username: 'postgres', password: 'master-pass-1' })).toEqual({
      username: 'postgres',
      password: 'master-pass-1',
    });
    expect(problemsOf({ password: 'x' }, parseMasterSecret)).toEqual(['`username` is required']);
  });
});
