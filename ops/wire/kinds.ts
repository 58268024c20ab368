import { parseMasterSecret, parsePostgresSecret } from '../../functions/postgres/secret';
import { isAwsUserSecret, parseAdminSecret, parseAnyRedisSecret } from '../../functions/redis/secret';
import { parseClientCredentials, parseZohoSecret } from '../../functions/zoho-oauth/secret';
import { parseWebhookBearerSecret } from '../../functions/webhook-bearer/secret';
import { parseMcpTokenSecret } from '../../functions/mcp-token/secret';
import { SecretRole } from '../../shared/fleet/tags';
import type { SuiteStack } from './stack';

/** A secret another secret names (masterarn, adminarn, client_secret_arn), read by the function by tag. */
export interface Reference {
  /** The key of the wired secret's JSON that names it. */
  key: string;
  role: SecretRole;
  /** Its own format, checked before it is tagged (a wrong master fails every rotation). */
  parse(value: unknown): unknown;
}

export interface KindSpec {
  kind: string;
  /** The stack output holding the rotation function's ARN. */
  functionOutput: string;
  /** The function's own parser: the same checks its rotations run. */
  parse(value: unknown): unknown;
  /** Secrets Manager's schedule and window by default (the strategy: 90 days, 30 days, Zoho's backstop). */
  schedule: string;
  window: string;
  references: Reference[];
  /** Zoho only: the EventBridge Scheduler refresh that runs more often than Secrets Manager can. */
  refresh?: { expression: string; intervalTag: string };
  /**
   * What a valid secret still needs from the stack: problems refuse the wiring (its rotations
   * could not succeed), notes are printed.
   */
  needs?(value: unknown, stack: SuiteStack): { problems: string[]; notes: string[] };
}

const PASSWORDS = { schedule: 'rate(90 days)', window: '4h' };
const TOKENS = { schedule: 'rate(30 days)', window: '4h' };

export const KINDS: Record<string, KindSpec> = {
  postgres: {
    kind: 'postgres',
    functionOutput: 'PostgresRotationFunctionArn',
    parse: parsePostgresSecret,
    ...PASSWORDS,
    references: [{ key: 'masterarn', role: SecretRole.PostgresMaster, parse: parseMasterSecret }],
  },
  redis: {
    kind: 'redis',
    functionOutput: 'RedisRotationFunctionArn',
    parse: parseAnyRedisSecret,
    ...PASSWORDS,
    references: [{ key: 'adminarn', role: SecretRole.RedisAdmin, parse: parseAdminSecret }],
    needs: (value, stack) => {
      const secret = parseAnyRedisSecret(value);
      if (!isAwsUserSecret(secret)) return { problems: [], notes: [] };
      const listed = stack.parameters.RedisUserArns;
      if (listed === undefined)
        return {
          problems: [],
          notes: [
            `an ElastiCache/MemoryDB user: ${secret.user_arn} must be listed in the stack parameter RedisUserArns`,
          ],
        };
      return listed
        .split(',')
        .map((arn) => arn.trim())
        .includes(secret.user_arn)
        ? { problems: [], notes: [] }
        : {
            problems: [
              `\`user_arn\` ${secret.user_arn} is not in stack ${stack.name}'s RedisUserArns, so the Redis function may not change its password: redeploy with it added (sam deploy --config-env ${stack.env} --parameter-overrides ... RedisUserArns=...)`,
            ],
            notes: [],
          };
    },
  },
  'zoho-oauth': {
    kind: 'zoho-oauth',
    functionOutput: 'ZohoOAuthRotationFunctionArn',
    parse: parseZohoSecret,
    // Secrets Manager cannot rotate more often than every 4 hours: this schedule enables rotation
    // and is the backstop; the Scheduler refresh every 45 minutes keeps the one-hour token fresh.
    schedule: 'rate(4 hours)',
    window: '1h',
    references: [{ key: 'client_secret_arn', role: SecretRole.ZohoClient, parse: parseClientCredentials }],
    refresh: { expression: 'rate(45 minutes)', intervalTag: '45m' },
  },
  'webhook-bearer': {
    kind: 'webhook-bearer',
    functionOutput: 'WebhookBearerRotationFunctionArn',
    parse: parseWebhookBearerSecret,
    ...TOKENS,
    references: [],
  },
  'mcp-token': {
    kind: 'mcp-token',
    functionOutput: 'McpTokenRotationFunctionArn',
    parse: parseMcpTokenSecret,
    ...TOKENS,
    references: [],
  },
};

export const KIND_NAMES = Object.keys(KINDS);

/** Stack outputs for the Zoho refresh schedules (template.yaml). */
export const ZOHO_REFRESH_OUTPUTS = {
  group: 'ZohoRefreshScheduleGroupName',
  role: 'ZohoRefreshSchedulerRoleArn',
} as const;
