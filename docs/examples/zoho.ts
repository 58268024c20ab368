import { SecretCache } from '@secret-rotation-suite/consumer';
import { ZohoTokenProvider } from '@secret-rotation-suite/consumer/zoho';

// The access token the rotation minted, from AWSCURRENT; it never calls Zoho's token endpoint.
const crm = new ZohoTokenProvider({
  cache: new SecretCache(),
  secretId: process.env.ZOHO_SECRET_ID ?? 'sergas/crm/prod/zoho',
});

// Relative to the secret's api_domain, with `Authorization: Zoho-oauthtoken ...`.
const response = await crm.fetch('/crm/v8/users?type=CurrentUser');
const { users } = (await response.json()) as { users?: { id: string }[] };
console.log(JSON.stringify({ status: response.status, users: users?.length ?? 0 }));
