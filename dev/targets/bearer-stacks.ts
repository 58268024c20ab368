import { BearerVerifier } from '../../packages/consumer/src/bearer-verifier';
import { SecretCache } from '../../packages/consumer/src/secret-cache';
import { generateToken } from '../../shared/credentials/token';
import { type LocalMcpServer, startMcpServer } from './mcp/server';
import { SecretsAdmin } from '../aws/secrets-admin';
import { startWebhookReceiver, type WebhookReceiver } from './webhook/receiver';
import { startWebhookSender, type WebhookSender } from './webhook/sender';

/** How fast the servers' verifiers notice label changes; short for tests and demos. */
export interface VerifierTiming {
  /** The servers' SecretCache TTL (production default: five minutes). */
  ttlMs?: number;
  /** Floor between refreshes caused by unknown tokens (production default: five seconds). */
  minRefreshIntervalMs?: number;
}

export interface WebhookSecretValue {
  token: string;
  verify_url: string;
  register_url?: string;
}

export interface McpSecretValue {
  token: string;
  expires_at: string;
  scopes: string[];
  issuer: string;
  server_url: string;
}

const MCP_SCOPES = ['crm.read', 'crm.write'];
const MCP_ISSUER = 'sergas-platform';

export function mcpSecretValue(serverUrl: string, overrides: Partial<McpSecretValue> = {}): McpSecretValue {
  return {
    token: generateToken('mcp'),
    expires_at: new Date(Date.now() + 30 * 24 * 3600 * 1000).toISOString(),
    scopes: [...MCP_SCOPES],
    issuer: MCP_ISSUER,
    server_url: serverUrl,
    ...overrides,
  };
}

export interface WebhookStack {
  secretId: string;
  initial: WebhookSecretValue;
  verifier: BearerVerifier;
  receiver: WebhookReceiver;
  /** Present with `withSender`: the secret then has a `register_url`. */
  sender: WebhookSender | undefined;
  stop(): Promise<void>;
}

/**
 * A webhook-bearer secret in Secrets Manager (moto locally) with its receiver (verifying with a
 * BearerVerifier) and, optionally, a sender with a registration endpoint. For tests, demo and bench.
 */
export async function startWebhookStack(
  options: VerifierTiming & { admin?: SecretsAdmin; withSender?: boolean; name?: string } = {},
): Promise<WebhookStack> {
  const admin = options.admin ?? new SecretsAdmin();
  const secretId = options.name ?? admin.uniqueName('webhooks', 'bearer');
  const verifier = new BearerVerifier({
    secretId,
    cache: new SecretCache({ ...(options.ttlMs !== undefined ? { ttlMs: options.ttlMs } : {}) }),
    ...(options.minRefreshIntervalMs !== undefined
      ? { minRefreshIntervalMs: options.minRefreshIntervalMs }
      : {}),
  });
  const receiver = await startWebhookReceiver({ verifier });
  const initial: WebhookSecretValue = { token: generateToken('whk'), verify_url: receiver.url };
  const sender = options.withSender
    ? await startWebhookSender({ initialToken: initial.token, receiverUrl: receiver.url })
    : undefined;
  if (sender) initial.register_url = sender.registerUrl;
  try {
    await admin.create(secretId, initial);
  } catch (error) {
    await Promise.all([receiver.stop(), sender?.stop()]);
    throw error;
  }
  return {
    secretId,
    initial,
    verifier,
    receiver,
    sender,
    async stop() {
      await Promise.all([receiver.stop(), sender?.stop()]);
    },
  };
}

export interface McpStack {
  secretId: string;
  initial: McpSecretValue;
  verifier: BearerVerifier;
  server: LocalMcpServer;
  stop(): Promise<void>;
}

/** An mcp-token secret with a local MCP server whose bearer auth verifies against it. */
export async function startMcpStack(
  options: VerifierTiming & {
    admin?: SecretsAdmin;
    name?: string;
    jsonResponses?: boolean;
    initial?: Partial<McpSecretValue>;
  } = {},
): Promise<McpStack> {
  const admin = options.admin ?? new SecretsAdmin();
  const secretId = options.name ?? admin.uniqueName('mcp', 'token');
  const verifier = new BearerVerifier({
    secretId,
    cache: new SecretCache({ ...(options.ttlMs !== undefined ? { ttlMs: options.ttlMs } : {}) }),
    ...(options.minRefreshIntervalMs !== undefined
      ? { minRefreshIntervalMs: options.minRefreshIntervalMs }
      : {}),
  });
  const server = await startMcpServer({
    verifier,
    requiredScopes: ['crm.read'],
    ...(options.jsonResponses !== undefined ? { jsonResponses: options.jsonResponses } : {}),
  });
  const initial = mcpSecretValue(server.url, options.initial);
  try {
    await admin.create(secretId, initial);
  } catch (error) {
    await server.stop();
    throw error;
  }
  return { secretId, initial, verifier, server, stop: () => server.stop() };
}
