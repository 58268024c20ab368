import { createServer } from 'node:http';
import { BearerVerifier, SecretCache } from '@secret-rotation-suite/consumer';
import { bearerChallenge } from '@secret-rotation-suite/consumer/mcp';

// Accepts the tokens of AWSCURRENT, AWSPREVIOUS (senders that have not re-read yet) and AWSPENDING
// (so the rotation can test the new token before promoting it).
const verifier = new BearerVerifier({
  secretId: process.env.WEBHOOK_SECRET_ID ?? 'sergas/webhooks/prod/bearer',
  cache: new SecretCache(),
});

const server = createServer(async (req, res) => {
  const result = await verifier.verifyAuthorization(req.headers.authorization);
  if (!result.ok) {
    const challenge = bearerChallenge({ error: 'invalid_token', errorDescription: result.description });
    res.writeHead(401, { 'WWW-Authenticate': challenge }).end();
    return;
  }
  // result.stage, result.versionId, result.expiresAt, result.claims: never the token itself.
  res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ stage: result.stage }));
});
server.listen(Number(process.env.PORT ?? 8080), '127.0.0.1', () => console.log('listening'));
