import { readFileSync } from 'node:fs';
import type { ConnectionOptions } from 'node:tls';
import { ConfigurationError } from '../../shared/rotation/errors';

/**
 * TLS options for a connection that must be encrypted and verified. The CA bundle is read on the
 * first TLS connection, not at module load, so a cold start that never needs it never pays for it;
 * then it is kept for the container's life.
 *
 * Without PG_CA_BUNDLE, Node's trust store applies (its built-in roots plus NODE_EXTRA_CA_CERTS).
 * With it, only the CAs in that file are trusted: pinning the database's CA (RDS's bundle) means a
 * certificate from any public CA for the same name is refused.
 */
const bundles = new Map<string, string>();

function loadBundle(path: string): string {
  let pem = bundles.get(path);
  if (pem === undefined) {
    try {
      pem = readFileSync(path, 'utf8');
    } catch (error) {
      throw new ConfigurationError(
        `PG_CA_BUNDLE ${path} cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})`,
        {
          action: 'Package the CA bundle with the function (or a layer) and point PG_CA_BUNDLE at it.',
        },
      );
    }
    if (!pem.includes('-----BEGIN CERTIFICATE-----')) {
      throw new ConfigurationError(`PG_CA_BUNDLE ${path} holds no PEM certificate`, {
        action: 'Point PG_CA_BUNDLE at a PEM file (e.g. global-bundle.pem from AWS).',
      });
    }
    bundles.set(path, pem);
  }
  return pem;
}

export function tlsOptions(caBundlePath: string | undefined): ConnectionOptions {
  return {
    rejectUnauthorized: true,
    minVersion: 'TLSv1.2',
    ...(caBundlePath ? { ca: loadBundle(caBundlePath) } : {}),
  };
}

/** How many bundles this container has read: lets a test prove the lazy load. */
export function loadedBundleCount(): number {
  return bundles.size;
}
