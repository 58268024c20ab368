import { SecretCache } from '@secret-rotation-suite/consumer';

// One cache per process: values live five minutes, concurrent reads share one GetSecretValue.
const secrets = new SecretCache();
const secretId = process.env.SECRET_ID ?? 'sergas/webhooks/prod/bearer';

// Every read names its stage (AWSCURRENT unless said otherwise), never "the newest version".
const { token } = await secrets.getJSON<{ token: string }>(secretId);
const previous = await secrets.getIfExists(secretId, 'AWSPREVIOUS'); // undefined before a first rotation

// Told a rotation finished (an EventBridge rule, the emergency SNS notice): the next read fetches.
secrets.invalidate(secretId);

console.log(JSON.stringify({ token: token.length > 0, previous: previous !== undefined }));
