import { SecretCache } from '@secret-rotation-suite/consumer';
import { createRotatingIoredis } from '@secret-rotation-suite/consumer/ioredis';

// Host, port and TLS come from the secret; every (re)connect sends AUTH with AWSCURRENT as it is then.
const redis = await createRotatingIoredis({
  cache: new SecretCache(),
  secretId: process.env.REDIS_SECRET_ID ?? 'sergas/sessions/prod/redis',
  redisOptions: { enableReadyCheck: false }, // your ioredis options (an ACL user may lack INFO)
});

await redis.set('app:greeting', 'hello');
console.log(JSON.stringify({ greeting: await redis.get('app:greeting') }));
await redis.quit();
