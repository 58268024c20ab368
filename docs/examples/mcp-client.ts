import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { SecretCache } from '@secret-rotation-suite/consumer';
import { bearerFetch } from '@secret-rotation-suite/consumer/http';

// Every HTTP request of the session carries the current token; a revoked one is replaced once.
const transport = new StreamableHTTPClientTransport(
  new URL(process.env.MCP_URL ?? 'https://mcp.example.com/mcp'),
  {
    fetch: bearerFetch({
      cache: new SecretCache(),
      secretId: process.env.MCP_SECRET_ID ?? 'sergas/agents/prod/mcp-token',
    }),
  },
);
const client = new Client({ name: 'crm-agent', version: '1.0.0' });
await client.connect(transport);

const { tools } = await client.listTools();
console.log(JSON.stringify({ tools: tools.map((tool) => tool.name) }));
await client.close();
