import type { IncomingMessage, ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import { listen, readBody } from '../../lib/http-server';
import type { RedisServer } from '../redis/server';
import { type Service, UserDirectory } from './directory';
import { answerQuery, queryErrorXml } from './elasticache-query';
import { answerJson, JSON_11, MEMORYDB_TARGET_PREFIX } from './memorydb-json';

/**
 * A local stand-in for the ElastiCache and MemoryDB user APIs on one loopback port: ElastiCache
 * requests (Query protocol, form-encoded) and MemoryDB requests (JSON 1.1, `X-Amz-Target:
 * AmazonMemoryDB.*`) are told apart the way the protocols differ. Point the SDK at it with
 * `AWS_ENDPOINT_URL_ELASTICACHE` and `AWS_ENDPOINT_URL_MEMORYDB`.
 *
 * Requests must be SigV4-signed for the right service and the emulator's region (the signature
 * itself is not checked: credentials are dummies), so a client that signs for another region or
 * service is refused as AWS would refuse it.
 */
export interface CacheUserApi {
  endpoint: string;
  region: string;
  account: string;
  directory: UserDirectory;
  /** The environment that points an AWS SDK v3 process at this emulator. */
  env(): Record<string, string>;
  stop(): Promise<void>;
}

export interface CacheUserApiOptions {
  /** The Redis servers users are applied to (the clusters behind the user group). */
  servers: readonly RedisServer[];
  region?: string;
  /** The account in user ARNs; the local Lambda host runs functions as 123456789012 too. */
  account?: string;
  /** How long a user stays `modifying` after a change (default 200 ms; real services: seconds). */
  modifyingMs?: number;
}

const CREDENTIAL_SCOPE = /Credential=[^/]+\/\d{8}\/([^/]+)\/([^/]+)\/aws4_request/;

/** The region and service a request was signed for, or why it is refused. */
function signatureProblem(req: IncomingMessage, service: Service, region: string): string | undefined {
  const authorization = req.headers.authorization;
  if (!authorization?.startsWith('AWS4-HMAC-SHA256 ')) return 'MissingAuthenticationToken';
  const scope = CREDENTIAL_SCOPE.exec(authorization);
  if (!scope) return 'IncompleteSignature';
  if (scope[1] !== region) return `Credential should be scoped to a valid region, not '${scope[1]}'.`;
  if (scope[2] !== service) return `Credential should be scoped to correct service: '${service}'.`;
  return undefined;
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

export async function startCacheUserApi(options: CacheUserApiOptions): Promise<CacheUserApi> {
  const region = options.region ?? 'us-east-1';
  const account = options.account ?? '123456789012';
  const directory = new UserDirectory({
    region,
    account,
    servers: options.servers,
    modifyingMs: options.modifyingMs ?? 200,
  });

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const body = await readBody(req);
    const target = header(req, 'x-amz-target');
    const service: Service = target?.startsWith(MEMORYDB_TARGET_PREFIX) ? 'memorydb' : 'elasticache';
    const refused = req.method === 'POST' ? signatureProblem(req, service, region) : 'only POST is served';
    if (refused) {
      const requestId = randomUUID();
      const code = refused.startsWith('Credential') ? 'SignatureDoesNotMatch' : refused.split(' ')[0];
      directory.record({ service, action: 'unsigned', fault: code });
      res.writeHead(403, {
        'Content-Type': service === 'memorydb' ? JSON_11 : 'text/xml',
        'x-amzn-RequestId': requestId,
      });
      res.end(
        service === 'memorydb'
          ? JSON.stringify({ __type: code, message: refused })
          : queryErrorXml(code ?? 'AccessDenied', refused, requestId),
      );
      return;
    }
    const answer =
      service === 'memorydb'
        ? await answerJson(directory, target as string, header(req, 'content-type'), body)
        : await answerQuery(directory, body);
    directory.record({
      service,
      action: answer.action,
      ...(answer.user ? { user: answer.user } : {}),
      ...(answer.fault ? { fault: answer.fault } : {}),
    });
    res.writeHead(answer.status, {
      'Content-Type': service === 'memorydb' ? JSON_11 : 'text/xml',
      'x-amzn-RequestId': answer.requestId,
    });
    res.end(answer.body);
  };

  const http = await listen(handle);
  return {
    endpoint: http.origin,
    region,
    account,
    directory,
    env: () => ({ AWS_ENDPOINT_URL_ELASTICACHE: http.origin, AWS_ENDPOINT_URL_MEMORYDB: http.origin }),
    async stop() {
      directory.stop();
      await http.stop();
    },
  };
}
