import { SecretCache } from '@secret-rotation-suite/consumer';
import { RotatingPool } from '@secret-rotation-suite/consumer/pg';

const pool = new RotatingPool({
  cache: new SecretCache(),
  // The RDS format: host, port, username, password, dbname, ssl. Alternating users or single user.
  secretId: process.env.DB_SECRET_ID ?? 'sergas/orders/prod/password',
  max: 10, // every pg.Pool option but the login, which comes from the secret
  // ssl: { ca: readFileSync('global-bundle.pem', 'utf8') }, // else the secret's `ssl` decides
  onRetry: (event) => console.error(`PostgreSQL: retried once after ${event.reason}`),
});

const { rows } = await pool.query<{ user_name: string }>('SELECT current_user AS user_name');
console.log(JSON.stringify({ user: rows[0]?.user_name }));

// Transactions: take a client, as with pg.Pool. It keeps its login until released.
const client = await pool.connect();
try {
  await client.query('BEGIN');
  await client.query('SELECT 1');
  await client.query('COMMIT');
} finally {
  client.release();
}
await pool.end();
