import { SecretCache } from '@secret-rotation-suite/consumer';
import { createRotatingRedisClient } from '@secret-rotation-suite/consumer/node-redis';

const client = await createRotatingRedisClient({
  cache: new SecretCache(),
  secretId: process.env.REDIS_SECRET_ID ?? 'sergas/sessions/prod/redis',
  clientOptions: { socket: { connectTimeout: 5_000 } }, // your createClient options, login aside
});
client.on('error', (error: Error) => console.error(`Redis: ${error.message}`));
await client.connect();

await client.set('app:greeting', 'hello');
console.log(JSON.stringify({ greeting: await client.get('app:greeting') }));
await client.close();
