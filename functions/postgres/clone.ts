import type { Connection } from './connection';
import type { RoleFacts } from './roles';

/**
 * The clone role of the alternating-users strategy, and why it never falls into the ownership trap.
 *
 * AWS's multi-user function makes `app_clone` a plain member of `app`. Every table `app_clone`
 * then creates is owned by `app_clone`, and `app` (in use again after the next rotation) cannot
 * alter, drop, or even read it. Here the clone is a member of the original role AND has the
 * role-level default `role = app`: each of its sessions starts as if it had run `SET ROLE app`. So
 * `current_user` is `app` in both users' sessions: objects either creates are owned by `app`,
 * privileges and attributes are `app`'s, and grants made to `app` later apply to both without any
 * copying. `session_user` still tells them apart (pg_stat_activity shows which credential is in use).
 *
 * If the original role itself carries a role default (`role = some_owner_group`, the shared-owner
 * pattern), the clone gets the same one, so both create objects owned by that group. The original's
 * other role settings (search_path, statement_timeout...) are copied too, because role settings
 * apply per login role and would otherwise silently differ between the two users.
 */
export interface CloneSync {
  created: boolean;
  /** Role settings of the original the admin could not copy (superuser-only parameters). */
  settingsNotCopied: string[];
}

interface SettingRow {
  database: string | null;
  setconfig: string[];
}

async function settingsOf(connection: Connection, roleOid: number): Promise<SettingRow[]> {
  const result = await connection.query<SettingRow>(
    `SELECT d.datname AS database, s.setconfig
       FROM pg_catalog.pg_db_role_setting s
       LEFT JOIN pg_catalog.pg_database d ON d.oid = s.setdatabase
      WHERE s.setrole = $1
      ORDER BY s.setdatabase`,
    [roleOid],
  );
  return result.rows;
}

// Quoting is pg's own escapeIdentifier/escapeLiteral, reached through the connection (its
// methods) so that pg itself loads only with the first connection.

function scopeOf(connection: Connection, clone: string, database: string | null): string {
  const role = `ALTER ROLE ${connection.escapeIdentifier(clone)}`;
  return database === null ? role : `${role} IN DATABASE ${connection.escapeIdentifier(database)}`;
}

/** "search_path=app, public" -> ["search_path", "app, public"]; a dotted name is quoted part by part. */
function splitSetting(
  connection: Connection,
  entry: string,
): { name: string; quotedName: string; value: string } {
  const at = entry.indexOf('=');
  const name = entry.slice(0, at);
  return {
    name,
    quotedName: name
      .split('.')
      .map((part) => connection.escapeIdentifier(part))
      .join('.'),
    value: entry.slice(at + 1),
  };
}

async function copySettings(
  connection: Connection,
  base: RoleFacts,
  clone: string,
  cloneOid: number | undefined,
): Promise<string[]> {
  if (cloneOid !== undefined) {
    for (const row of await settingsOf(connection, cloneOid)) {
      await connection.query(`${scopeOf(connection, clone, row.database)} RESET ALL`);
    }
  }
  const notCopied: string[] = [];
  let sessionRole = base.name;
  for (const row of await settingsOf(connection, base.oid)) {
    for (const entry of row.setconfig) {
      const { name, quotedName, value } = splitSetting(connection, entry);
      if (name === 'role') {
        if (row.database === null) sessionRole = value;
        else
          await connection.query(
            `${scopeOf(connection, clone, row.database)} SET role = ${connection.escapeLiteral(value)}`,
          );
        continue;
      }
      // The stored text is in postgresql.conf syntax; set_config parses it the same way (lists too),
      // and FROM CURRENT stores exactly what it parsed. RESET puts our own session back.
      await connection.query('SAVEPOINT copy_setting');
      try {
        await connection.query('SELECT pg_catalog.set_config($1, $2, true)', [name, value]);
        await connection.query(`${scopeOf(connection, clone, row.database)} SET ${quotedName} FROM CURRENT`);
        await connection.query(`RESET ${quotedName}`);
        await connection.query('RELEASE SAVEPOINT copy_setting');
      } catch {
        await connection.query('ROLLBACK TO SAVEPOINT copy_setting');
        notCopied.push(row.database === null ? name : `${name} (in ${row.database})`);
      }
    }
  }
  await connection.query(
    `ALTER ROLE ${connection.escapeIdentifier(clone)} SET role = ${connection.escapeLiteral(sessionRole)}`,
  );
  return notCopied;
}

/**
 * Create the clone with `verifier` as its password, or bring an existing one back in line: LOGIN,
 * INHERIT, a member of the original, the original's role settings. Run inside a transaction.
 */
export async function syncClone(
  connection: Connection,
  base: RoleFacts,
  clone: string,
  existing: RoleFacts | undefined,
  verifier: string,
): Promise<CloneSync> {
  const cloneId = connection.escapeIdentifier(clone);
  const baseId = connection.escapeIdentifier(base.name);
  if (existing === undefined) {
    await connection.query(
      `CREATE ROLE ${cloneId} WITH LOGIN INHERIT NOSUPERUSER PASSWORD ${connection.escapeLiteral(verifier)} IN ROLE ${baseId}`,
    );
  } else {
    await connection.query(
      `ALTER ROLE ${cloneId} WITH LOGIN INHERIT PASSWORD ${connection.escapeLiteral(verifier)}`,
    );
    const member = await connection.query(
      'SELECT 1 FROM pg_catalog.pg_auth_members WHERE roleid = $1 AND member = $2',
      [base.oid, existing.oid],
    );
    if (member.rowCount === 0) await connection.query(`GRANT ${baseId} TO ${cloneId}`);
  }
  const settingsNotCopied = await copySettings(connection, base, clone, existing?.oid);
  return { created: existing === undefined, settingsNotCopied };
}
