import type { ConnectionOptions } from 'node:tls';
import { loadCaBundle } from '../../shared/net/ca-bundle';

/**
 * TLS options for a connection that must be encrypted and verified. Without PG_CA_BUNDLE, Node's
 * trust store applies (its built-in roots plus NODE_EXTRA_CA_CERTS); with it, only the CAs in that
 * file (e.g. RDS's global bundle), read on the first TLS connection and then kept.
 */
export function tlsOptions(env: NodeJS.ProcessEnv = process.env): ConnectionOptions {
  const ca = loadCaBundle('PG_CA_BUNDLE', env);
  return {
    rejectUnauthorized: true,
    minVersion: 'TLSv1.2',
    ...(ca ? { ca } : {}),
  };
}
