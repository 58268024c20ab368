import { randomUUID } from 'node:crypto';
import * as z from 'zod/mini';
import { ApiFault, type CacheUser, FAULT_CODES, type UserChange, type UserDirectory } from './directory';

/**
 * MemoryDB's user calls over its wire protocol, AWS JSON 1.1: a POST with
 * `X-Amz-Target: AmazonMemoryDB.<Operation>` and an `application/x-amz-json-1.1` body, answered
 * with JSON; faults carry `__type` (the fault's shape name) and `message`.
 */

export const MEMORYDB_TARGET_PREFIX = 'AmazonMemoryDB.';
export const JSON_11 = 'application/x-amz-json-1.1';

export interface JsonAnswer {
  status: number;
  body: string;
  requestId: string;
  action: string;
  user?: string;
  fault?: string;
}

const AuthenticationMode = z.object({
  Type: z.optional(z.enum(['password', 'iam'])),
  Passwords: z.optional(z.array(z.string())),
});

const Filter = z.object({ Name: z.string(), Values: z.array(z.string()) });

const Requests = {
  DescribeUsers: z.object({
    UserName: z.optional(z.string()),
    Filters: z.optional(z.array(Filter)),
    MaxResults: z.optional(z.int()),
    NextToken: z.optional(z.string()),
  }),
  UpdateUser: z.object({
    UserName: z.string(),
    AuthenticationMode: z.optional(AuthenticationMode),
    AccessString: z.optional(z.string()),
  }),
  CreateUser: z.object({
    UserName: z.string(),
    AuthenticationMode: AuthenticationMode,
    AccessString: z.string(),
    Tags: z.optional(z.array(z.object({ Key: z.string(), Value: z.optional(z.string()) }))),
  }),
  DeleteUser: z.object({ UserName: z.string() }),
};
type Operation = keyof typeof Requests;

class JsonError extends Error {
  constructor(
    readonly type: string,
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

function userJson(user: CacheUser) {
  return {
    Name: user.name,
    Status: user.status,
    AccessString: user.accessString,
    ACLNames: user.groups,
    MinimumEngineVersion: '6.2',
    Authentication: {
      Type: user.authType,
      ...(user.authType === 'password' ? { PasswordCount: user.passwordHashes.length } : {}),
    },
    ARN: user.arn,
  };
}

function changeOf(mode: z.infer<typeof AuthenticationMode> | undefined, accessString?: string): UserChange {
  const change: UserChange = accessString === undefined ? {} : { accessString };
  if (!mode) return change;
  if (mode.Type === undefined) {
    throw new ApiFault('InvalidParameterValue', 'AuthenticationMode.Type is required.');
  }
  return { ...change, authType: mode.Type, ...(mode.Passwords ? { passwords: mode.Passwords } : {}) };
}

async function dispatch(directory: UserDirectory, operation: Operation, input: unknown): Promise<unknown> {
  const parsed = Requests[operation].safeParse(input);
  if (!parsed.success) {
    throw new JsonError(
      'ValidationException',
      400,
      `1 validation error detected in the ${operation} request.`,
    );
  }
  switch (operation) {
    case 'DescribeUsers': {
      const request = parsed.data as z.infer<typeof Requests.DescribeUsers>;
      let users = request.UserName
        ? [directory.get('memorydb', request.UserName)]
        : directory.list('memorydb');
      for (const filter of request.Filters ?? []) {
        if (filter.Name !== 'UserName') {
          throw new ApiFault('InvalidParameterValue', `Unknown filter name ${filter.Name}.`);
        }
        users = users.filter((user) => filter.Values.includes(user.name));
      }
      const start = Number(request.NextToken ?? 0);
      const size = request.MaxResults ?? 100;
      const next = start + size < users.length ? { NextToken: String(start + size) } : {};
      return { Users: users.slice(start, start + size).map(userJson), ...next };
    }
    case 'UpdateUser': {
      const request = parsed.data as z.infer<typeof Requests.UpdateUser>;
      const user = directory.modify(
        'memorydb',
        request.UserName,
        changeOf(request.AuthenticationMode, request.AccessString),
      );
      return { User: userJson(user) };
    }
    case 'CreateUser': {
      const request = parsed.data as z.infer<typeof Requests.CreateUser>;
      const user = await directory.create('memorydb', {
        id: request.UserName,
        name: request.UserName,
        accessString: request.AccessString,
        change: changeOf(request.AuthenticationMode),
      });
      return { User: userJson(user) };
    }
    case 'DeleteUser': {
      const request = parsed.data as z.infer<typeof Requests.DeleteUser>;
      return { User: userJson(await directory.delete('memorydb', request.UserName)) };
    }
  }
}

/** Answer one JSON 1.1 request: `target` is the X-Amz-Target header. */
export async function answerJson(
  directory: UserDirectory,
  target: string,
  contentType: string | undefined,
  body: string,
): Promise<JsonAnswer> {
  const requestId = randomUUID();
  const action = target.slice(MEMORYDB_TARGET_PREFIX.length);
  let user: string | undefined;
  const answer = (status: number, payload: unknown, fault?: string): JsonAnswer => ({
    status,
    body: JSON.stringify(payload),
    requestId,
    action,
    ...(user ? { user } : {}),
    ...(fault ? { fault } : {}),
  });
  try {
    if (!contentType?.startsWith(JSON_11)) {
      throw new JsonError('SerializationException', 400, `Content-Type must be ${JSON_11}.`);
    }
    if (!(action in Requests)) {
      throw new JsonError('UnknownOperationException', 400, `Unknown operation ${action}.`);
    }
    let input: unknown;
    try {
      input = JSON.parse(body || '{}');
    } catch {
      throw new JsonError('SerializationException', 400, 'The request body is not valid JSON.');
    }
    const named = (input as { UserName?: unknown } | null)?.UserName;
    if (typeof named === 'string') user = named;
    return answer(200, await dispatch(directory, action as Operation, input));
  } catch (error) {
    if (error instanceof ApiFault) {
      const { code, status } = FAULT_CODES[error.kind].memorydb;
      return answer(status, { __type: code, message: error.message }, code);
    }
    if (error instanceof JsonError) {
      return answer(error.status, { __type: error.type, message: error.message }, error.type);
    }
    throw error;
  }
}
