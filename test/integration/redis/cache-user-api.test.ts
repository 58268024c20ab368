import {
  CreateUserCommand,
  DescribeUsersCommand,
  ElastiCacheClient,
  InvalidParameterCombinationException,
  InvalidParameterValueException,
  InvalidUserStateFault,
  ModifyUserCommand,
  UserNotFoundFault,
} from '@aws-sdk/client-elasticache';
import {
  CreateUserCommand as CreateMemoryDbUser,
  DescribeUsersCommand as DescribeMemoryDbUsers,
  InvalidParameterCombinationException as MemoryDbInvalidCombination,
  InvalidParameterValueException as MemoryDbInvalidValue,
  InvalidUserStateFault as MemoryDbInvalidUserState,
  MemoryDBClient,
  UpdateUserCommand,
  UserNotFoundFault as MemoryDbUserNotFound,
} from '@aws-sdk/client-memorydb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CacheUserApi, startCacheUserApi } from '../../../dev/targets/cache-user-api/server';
import { APP_ACCESS_STRING } from '../../../dev/targets/cache-user-api/fixture';
import { type RedisServer, startRedis, testPassword } from '../../../dev/targets/redis/server';

/**
 * The local user APIs, driven by the real AWS SDK v3 clients through their standard endpoint
 * variables' effect (an explicit endpoint here), and by raw HTTP for the wire shapes: the emulator
 * the rotation tests trust must answer as the services document.
 */
let server: RedisServer;
let api: CacheUserApi;
let elasticache: ElastiCacheClient;
let memorydb: MemoryDBClient;

beforeAll(async () => {
  server = await startRedis();
  api = await startCacheUserApi({ servers: [server], modifyingMs: 100 });
  elasticache = new ElastiCacheClient({ endpoint: api.endpoint, region: api.region });
  memorydb = new MemoryDBClient({ endpoint: api.endpoint, region: api.region });
});

afterAll(async () => {
  await api?.stop();
  await server?.stop();
});

const password = () => testPassword('emulator-password');

async function rejection(
  promise: Promise<unknown>,
): Promise<Error & { $metadata?: { httpStatusCode?: number } }> {
  return promise.then(
    () => {
      throw new Error('expected the call to fail');
    },
    (error: Error) => error,
  );
}

/** A form-encoded Query request, signed-looking (the emulator checks the credential scope only). */
async function rawQuery(body: string, service = 'elasticache', region = 'us-east-1') {
  const response = await fetch(api.endpoint, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/x-www-form-urlencoded',
      Authorization: `AWS4-HMAC-SHA256 Credential=test/20260101/${region}/${service}/aws4_request, SignedHeaders=host, Signature=00`,
    },
    body,
  });
  return { status: response.status, text: await response.text() };
}

describe('ElastiCache user API (Query protocol, XML)', () => {
  it('creates, describes and modifies a user as the SDK expects, applying the change once active', async () => {
    const first = password();
    const second = password();
    const created = await elasticache.send(
      new CreateUserCommand({
        UserId: 'emu-user-1',
        UserName: 'emu-app',
        Engine: 'redis',
        AccessString: APP_ACCESS_STRING,
        Passwords: [first],
      }),
    );
    expect(created).toMatchObject({
      UserId: 'emu-user-1',
      UserName: 'emu-app',
      Status: 'active',
      Engine: 'redis',
      AccessString: APP_ACCESS_STRING,
      UserGroupIds: [],
      Authentication: { Type: 'password', PasswordCount: 1 },
      ARN: 'arn:aws:elasticache:us-east-1:123456789012:user:emu-user-1',
    });
    expect(created.$metadata.requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(await server.accepts({ username: 'emu-app', password: first })).toBe(true);

    const modified = await elasticache.send(
      new ModifyUserCommand({ UserId: 'emu-user-1', Passwords: [second, first] }),
    );
    expect(modified).toMatchObject({ Status: 'modifying', Authentication: { PasswordCount: 2 } });
    const busy = await rejection(
      elasticache.send(new ModifyUserCommand({ UserId: 'emu-user-1', Passwords: [first] })),
    );
    expect(busy).toBeInstanceOf(InvalidUserStateFault);
    expect(busy.$metadata?.httpStatusCode).toBe(400);
    // Not on the server until the user is active again.
    expect(await server.accepts({ username: 'emu-app', password: second })).toBe(false);
    await api.directory.settled();
    const described = await elasticache.send(new DescribeUsersCommand({ UserId: 'emu-user-1' }));
    expect(described.Users).toEqual([
      expect.objectContaining({ Status: 'active', Authentication: { Type: 'password', PasswordCount: 2 } }),
    ]);
    expect(await server.accepts({ username: 'emu-app', password: second })).toBe(true);
    expect(await server.accepts({ username: 'emu-app', password: first })).toBe(true);
  });

  it('answers the documented faults with their codes and statuses', async () => {
    const notFound = await rejection(elasticache.send(new DescribeUsersCommand({ UserId: 'nobody' })));
    expect(notFound).toBeInstanceOf(UserNotFoundFault);
    expect(notFound.$metadata?.httpStatusCode).toBe(404);
    const three = await rejection(
      elasticache.send(
        new ModifyUserCommand({ UserId: 'emu-user-1', Passwords: [password(), password(), password()] }),
      ),
    );
    expect(three).toBeInstanceOf(InvalidParameterValueException);
    expect(three.message).toContain('at most 2 passwords');
    const short = await rejection(
      elasticache.send(new ModifyUserCommand({ UserId: 'emu-user-1', Passwords: ['short'] })),
    );
    expect(short).toBeInstanceOf(InvalidParameterValueException);
    expect(short.message).not.toContain('short');
    const both = await rejection(
      elasticache.send(
        new ModifyUserCommand({ UserId: 'emu-user-1', Passwords: [password()], NoPasswordRequired: true }),
      ),
    );
    expect(both).toBeInstanceOf(InvalidParameterCombinationException);
  });

  it('speaks the documented XML: RequestId in ResponseMetadata, ErrorResponse with Type, Code and RequestId', async () => {
    const ok = await rawQuery('Action=DescribeUsers&Version=2015-02-02&UserId=emu-user-1');
    expect(ok.status).toBe(200);
    expect(ok.text).toMatch(
      /<DescribeUsersResponse xmlns="http:\/\/elasticache.amazonaws.com\/doc\/2015-02-02\/"><DescribeUsersResult><Users><member><UserId>emu-user-1<\/UserId>/,
    );
    expect(ok.text).toMatch(
      /<ResponseMetadata><RequestId>[0-9a-f-]{36}<\/RequestId><\/ResponseMetadata><\/DescribeUsersResponse>$/,
    );
    const fault = await rawQuery('Action=DescribeUsers&Version=2015-02-02&UserId=nobody');
    expect(fault.status).toBe(404);
    expect(fault.text).toMatch(
      /<ErrorResponse[^>]*><Error><Type>Sender<\/Type><Code>UserNotFound<\/Code><Message>[^<]+<\/Message><\/Error><RequestId>[0-9a-f-]{36}<\/RequestId><\/ErrorResponse>/,
    );
    expect((await rawQuery('Action=DescribeUsers&Version=2014-01-01')).text).toContain(
      '<Code>InvalidParameterValue</Code>',
    );
    expect((await rawQuery('Action=RebootCacheCluster&Version=2015-02-02')).text).toContain(
      '<Code>InvalidAction</Code>',
    );
    const otherRegion = await rawQuery('Action=DescribeUsers&Version=2015-02-02', 'elasticache', 'eu-west-1');
    expect(otherRegion.status).toBe(403);
    expect(otherRegion.text).toContain('<Code>SignatureDoesNotMatch</Code>');
  });
});

describe('MemoryDB user API (JSON 1.1)', () => {
  it('creates, describes and updates a user through AuthenticationMode, applying the change once active', async () => {
    const first = password();
    const second = password();
    const created = await memorydb.send(
      new CreateMemoryDbUser({
        UserName: 'emu-mdb',
        AccessString: APP_ACCESS_STRING,
        AuthenticationMode: { Type: 'password', Passwords: [first] },
      }),
    );
    expect(created.User).toMatchObject({
      Name: 'emu-mdb',
      Status: 'active',
      ACLNames: [],
      Authentication: { Type: 'password', PasswordCount: 1 },
      ARN: 'arn:aws:memorydb:us-east-1:123456789012:user/emu-mdb',
    });
    const updated = await memorydb.send(
      new UpdateUserCommand({
        UserName: 'emu-mdb',
        AuthenticationMode: { Type: 'password', Passwords: [second, first] },
      }),
    );
    expect(updated.User).toMatchObject({ Status: 'modifying', Authentication: { PasswordCount: 2 } });
    expect(
      await rejection(
        memorydb.send(
          new UpdateUserCommand({
            UserName: 'emu-mdb',
            AuthenticationMode: { Type: 'password', Passwords: [first] },
          }),
        ),
      ),
    ).toBeInstanceOf(MemoryDbInvalidUserState);
    await api.directory.settled();
    const described = await memorydb.send(new DescribeMemoryDbUsers({ UserName: 'emu-mdb' }));
    expect(described.Users?.[0]).toMatchObject({ Status: 'active', Authentication: { PasswordCount: 2 } });
    expect(await server.accepts({ username: 'emu-mdb', password: second })).toBe(true);
  });

  it('answers the documented faults as __type errors', async () => {
    expect(await rejection(memorydb.send(new DescribeMemoryDbUsers({ UserName: 'nobody' })))).toBeInstanceOf(
      MemoryDbUserNotFound,
    );
    expect(
      await rejection(
        memorydb.send(
          new UpdateUserCommand({
            UserName: 'emu-mdb',
            AuthenticationMode: { Type: 'password', Passwords: [password(), password(), password()] },
          }),
        ),
      ),
    ).toBeInstanceOf(MemoryDbInvalidValue);
    expect(
      await rejection(
        memorydb.send(
          new UpdateUserCommand({
            UserName: 'emu-mdb',
            AuthenticationMode: { Type: 'iam', Passwords: [password()] },
          }),
        ),
      ),
    ).toBeInstanceOf(MemoryDbInvalidCombination);
    const raw = await fetch(api.endpoint, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/x-amz-json-1.1',
        'X-Amz-Target': 'AmazonMemoryDB.DescribeUsers',
        Authorization:
          'AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/memorydb/aws4_request, SignedHeaders=host, Signature=00',
      },
      body: JSON.stringify({ UserName: 'nobody' }),
    });
    expect(raw.status).toBe(400);
    expect(raw.headers.get('content-type')).toBe('application/x-amz-json-1.1');
    expect(await raw.json()).toEqual({ __type: 'UserNotFoundFault', message: expect.any(String) });
  });
});
