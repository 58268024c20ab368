import { SecretCache } from '@secret-rotation-suite/consumer';
import { RotatingPool } from '@secret-rotation-suite/consumer/pg';

// Logs in as AWSCURRENT's user, follows alternating users, retries a refused login once.
const pool = new RotatingPool({
  cache: new SecretCache(),
  secretId: process.env.DB_SECRET_ID ?? 'sergas/orders/prod/password',
});
const { rows } = await pool.query<{ user_name: string }>('SELECT current_user AS user_name');
console.log(JSON.stringify({ user: rows[0]?.user_name }));
await pool.end();
