import { readFileSync } from 'node:fs';
import { ConfigurationError } from '../errors';

/**
 * CA bundles by path, read on the first TLS connection that needs one and kept for the container's
 * life: a cold start that never opens a TLS connection (or uses Node's trust store) never pays for
 * reading one. Reading a bundle at process start is what NODE_EXTRA_CA_CERTS makes Node 20 do, and
 * it costs tens of milliseconds of every cold start.
 */
const bundles = new Map<string, string>();

const PEM_CERTIFICATE = '-----BEGIN CERTIFICATE-----';

/**
 * The PEM text of the CA bundle whose path is in the environment variable `envName`, or undefined
 * when the variable is unset or empty (Node's trust store then applies: its built-in roots plus
 * NODE_EXTRA_CA_CERTS). Set, only the CAs in that file are trusted by the caller's connection, so
 * pinning a database's CA means a certificate from any public CA for the same name is refused.
 *
 * A file that cannot be read or holds no PEM certificate is a ConfigurationError naming the
 * variable and the path; never the content.
 */
export function loadCaBundle(envName: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const path = env[envName];
  if (path === undefined || path === '') return undefined;
  const cached = bundles.get(path);
  if (cached !== undefined) return cached;

  let pem: string;
  try {
    pem = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigurationError(
      `${envName} is ${path}, which cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})`,
      { action: `Package the CA bundle with the function (or a layer) and point ${envName} at it.` },
    );
  }
  if (!pem.includes(PEM_CERTIFICATE)) {
    throw new ConfigurationError(`${envName} is ${path}, which holds no PEM certificate`, {
      action: `Point ${envName} at a PEM file of the CA certificates that sign the server's certificate (for RDS, global-bundle.pem).`,
    });
  }
  bundles.set(path, pem);
  return pem;
}

/** How many bundles this container has read: lets a test prove the lazy load. */
export function loadedCaBundleCount(): number {
  return bundles.size;
}
