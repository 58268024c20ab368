import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import type { LookupFunction } from 'node:net';
import { addressRefusal, type DestinationPolicy, destinationPolicyFromEnv } from './destination-policy';

/**
 * A name resolved to an address the destination policy refuses. Raised inside the socket's own
 * lookup, so no connection was opened; httpRequest turns it into an UnsafeEndpointError naming the
 * secret's key.
 */
export class DestinationRefusal extends Error {
  override readonly name: string = 'DestinationRefusal';
  readonly code = 'ERR_DESTINATION_REFUSED';

  constructor(
    readonly hostname: string,
    readonly address: string,
    readonly rule: string,
  ) {
    super(`${hostname} resolves to ${address}, ${rule}`);
  }
}

type Resolve = (
  hostname: string,
  options: { all: true; family?: number; hints?: number },
  callback: (error: NodeJS.ErrnoException | null, addresses: LookupAddress[]) => void,
) => void;

/**
 * The `lookup` of every socket the suite opens for HTTP: resolve the name once, check every address
 * it resolves to, and hand exactly those addresses to the socket. The address connected to is the
 * address checked, so a name that answers a public address to a check and 169.254.169.254 to the
 * connect (DNS rebinding) gets nowhere; TLS still verifies the certificate against the original
 * name, because only the address lookup is replaced. One refused address refuses the name: a name
 * that mixes public and internal answers is not one to trust with a credential.
 */
export function pinnedLookup(
  policy: () => DestinationPolicy = () => destinationPolicyFromEnv(),
  resolve: Resolve = dnsLookup as unknown as Resolve,
): LookupFunction {
  return (hostname, options, callback) => {
    let rules: DestinationPolicy;
    try {
      rules = policy();
    } catch (error) {
      callback(error as NodeJS.ErrnoException, '', 0);
      return;
    }
    const family = typeof options.family === 'number' ? options.family : undefined;
    resolve(
      hostname,
      { all: true, ...(family ? { family } : {}), ...(options.hints ? { hints: options.hints } : {}) },
      (error, addresses) => {
        if (error) return callback(error, '', 0);
        if (addresses.length === 0) {
          const none: NodeJS.ErrnoException = Object.assign(new Error(`${hostname} has no address`), {
            code: 'ENOTFOUND',
          });
          return callback(none, '', 0);
        }
        for (const { address } of addresses) {
          const rule = addressRefusal(address, rules);
          if (rule) return callback(new DestinationRefusal(hostname, address, rule), '', 0);
        }
        if (options.all) {
          (callback as unknown as (e: null, all: LookupAddress[]) => void)(null, addresses);
          return;
        }
        const [first] = addresses as [LookupAddress];
        callback(null, first.address, first.family);
      },
    );
  };
}

/** Resolve and check a name now, outside a request (createSecret refuses as early as it can). */
export function resolveChecked(
  hostname: string,
  lookup: LookupFunction = pinnedLookup(),
): Promise<LookupAddress[]> {
  return new Promise((resolvePromise, reject) => {
    lookup(hostname, { all: true }, ((error: Error | null, addresses: LookupAddress[]) =>
      error ? reject(error) : resolvePromise(addresses)) as unknown as Parameters<LookupFunction>[2]);
  });
}
