import { createServer } from 'node:http';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { BearerVerifier, SecretCache } from '@secret-rotation-suite/consumer';
import { McpBearerAuth } from '@secret-rotation-suite/consumer/mcp';

const port = Number(process.env.PORT ?? 8080);
const auth = new McpBearerAuth({
  verifier: new BearerVerifier({
    secretId: process.env.MCP_SECRET_ID ?? 'sergas/agents/prod/mcp-token',
    cache: new SecretCache(),
  }),
  resource: `http://127.0.0.1:${port}/mcp`, // the public URL of this endpoint
  authorizationServers: ['https://auth.example.com'], // MCP requires at least one
  requiredScopes: ['crm.read'],
});

createServer(async (req, res) => {
  // GET /.well-known/oauth-protected-resource/mcp: the RFC 9728 document the 401s point at.
  if (auth.serveMetadata(req, res)) return;
  // 401 with `WWW-Authenticate: Bearer resource_metadata="...", error="invalid_token", ...`, or 403.
  if (!(await auth.authorize(req, res))) return;
  // Stateless Streamable HTTP: one server and transport per request; req.auth reaches tool handlers.
  const server = new McpServer({ name: 'crm', version: '1.0.0' });
  server.registerTool('ping', { description: 'Answers pong' }, () => ({
    content: [{ type: 'text', text: 'pong' }],
  }));
  const transport = new StreamableHTTPServerTransport({
    sessionIdGenerator: undefined,
    enableJsonResponse: true,
  });
  res.on('close', () => void transport.close());
  await server.connect(transport);
  await transport.handleRequest(req, res);
}).listen(port, '127.0.0.1', () => console.log('listening'));
