import { SecretCache } from '@secret-rotation-suite/consumer';
import { bearerFetch } from '@secret-rotation-suite/consumer/http';

// A fetch that sends `Authorization: Bearer <AWSCURRENT token>`; after a 401 it re-reads the
// secret and, if the token changed (a revoke), sends the request once more.
const send = bearerFetch({
  cache: new SecretCache(),
  secretId: process.env.WEBHOOK_SECRET_ID ?? 'sergas/webhooks/prod/bearer',
});

const response = await send(process.env.WEBHOOK_URL ?? 'https://crm.example.com/hooks/deals', {
  method: 'POST',
  headers: { 'Content-Type': 'application/json' },
  body: JSON.stringify({ type: 'deal.updated', id: 42 }),
});
console.log(JSON.stringify({ status: response.status }));
