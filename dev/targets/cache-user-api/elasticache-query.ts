import { randomUUID } from 'node:crypto';
import { ApiFault, type CacheUser, FAULT_CODES, type UserChange, type UserDirectory } from './directory';

/**
 * ElastiCache's user calls over its wire protocol, the AWS Query protocol: a form-encoded POST
 * (`Action=ModifyUser&Version=2015-02-02&UserId=...&Passwords.member.1=...`), answered with XML in
 * the documented shape (`<ModifyUserResponse><ModifyUserResult>...</ModifyUserResult>
 * <ResponseMetadata><RequestId>`), faults as an `<ErrorResponse>` with the fault's code and HTTP
 * status.
 */

export const ELASTICACHE_VERSION = '2015-02-02';
const XMLNS = `http://elasticache.amazonaws.com/doc/${ELASTICACHE_VERSION}/`;

export interface QueryAnswer {
  status: number;
  body: string;
  requestId: string;
  action: string;
  user?: string;
  fault?: string;
}

/** A list parameter: `Name.member.1`, `Name.member.2`... (an empty list is sent as `Name=`). */
function memberList(form: URLSearchParams, name: string): string[] | undefined {
  const items: string[] = [];
  for (let i = 1; form.has(`${name}.member.${i}`); i++) items.push(form.get(`${name}.member.${i}`) ?? '');
  if (items.length > 0) return items;
  return form.has(name) ? [] : undefined;
}

function bool(form: URLSearchParams, name: string): boolean | undefined {
  const raw = form.get(name);
  if (raw === null) return undefined;
  if (raw === 'true' || raw === 'false') return raw === 'true';
  throw new ApiFault('InvalidParameterValue', `Invalid boolean value for ${name}.`);
}

function required(form: URLSearchParams, name: string): string {
  const value = form.get(name);
  if (!value)
    throw new QueryError('MissingParameter', 400, `The request must contain the parameter ${name}.`);
  return value;
}

/** A protocol-level error (not one of the service's faults): a missing parameter, an unknown action. */
class QueryError extends Error {
  constructor(
    readonly code: string,
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/**
 * How a request asks for authentication: `Passwords` / `NoPasswordRequired` (the older parameters)
 * or `AuthenticationMode` (Type password|no-password-required|iam). Mixing the two is refused.
 */
function changeOf(form: URLSearchParams): UserChange {
  const passwords = memberList(form, 'Passwords');
  const noPasswordRequired = bool(form, 'NoPasswordRequired');
  const modeType = form.get('AuthenticationMode.Type');
  const modePasswords = memberList(form, 'AuthenticationMode.Passwords');
  const accessString = form.get('AccessString') ?? undefined;
  const change: UserChange = accessString === undefined ? {} : { accessString };
  if (modeType !== null || modePasswords !== undefined) {
    if (passwords !== undefined || noPasswordRequired !== undefined) {
      throw new ApiFault(
        'InvalidParameterCombination',
        'AuthenticationMode cannot be combined with Passwords or NoPasswordRequired.',
      );
    }
    const types: Record<string, UserChange['authType']> = {
      password: 'password',
      'no-password-required': 'no-password',
      iam: 'iam',
    };
    const authType = modeType === null ? undefined : types[modeType];
    if (!authType) {
      throw new ApiFault(
        'InvalidParameterValue',
        'AuthenticationMode.Type must be password, no-password-required or iam.',
      );
    }
    return { ...change, authType, ...(modePasswords ? { passwords: modePasswords } : {}) };
  }
  if (noPasswordRequired === true) {
    if (passwords?.length) {
      throw new ApiFault(
        'InvalidParameterCombination',
        'Passwords cannot be given with NoPasswordRequired true.',
      );
    }
    return { ...change, authType: 'no-password' };
  }
  return passwords === undefined ? change : { ...change, passwords };
}

function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

const element = (name: string, content: string) => `<${name}>${content}</${name}>`;
const text = (name: string, value: string | number) => element(name, escapeXml(String(value)));

function userXml(user: CacheUser): string {
  const passwordCount = user.authType === 'password' ? text('PasswordCount', user.passwordHashes.length) : '';
  return [
    text('UserId', user.id),
    text('UserName', user.name),
    text('Status', user.status),
    text('Engine', user.engine),
    text('MinimumEngineVersion', '6.0'),
    text('AccessString', user.accessString),
    element('UserGroupIds', user.groups.map((group) => text('member', group)).join('')),
    element('Authentication', text('Type', user.authType) + passwordCount),
    text('ARN', user.arn),
  ].join('');
}

function success(action: string, result: string, requestId: string): string {
  return (
    `<?xml version="1.0" encoding="UTF-8"?>\n<${action}Response xmlns="${XMLNS}">` +
    element(`${action}Result`, result) +
    element('ResponseMetadata', text('RequestId', requestId)) +
    `</${action}Response>`
  );
}

function errorXml(code: string, message: string, requestId: string): string {
  return (
    `<?xml version="1.0" encoding="UTF-8"?>\n<ErrorResponse xmlns="${XMLNS}">` +
    element('Error', text('Type', 'Sender') + text('Code', code) + text('Message', message)) +
    text('RequestId', requestId) +
    '</ErrorResponse>'
  );
}

/** DescribeUsers pages: Marker is the index of the next user, MaxRecords 20 to 100 (default 100). */
function describeUsers(directory: UserDirectory, form: URLSearchParams): string {
  const userId = form.get('UserId');
  const engine = form.get('Engine');
  const maxRecords = Number(form.get('MaxRecords') ?? 100);
  if (!Number.isInteger(maxRecords) || maxRecords < 20 || maxRecords > 100) {
    throw new ApiFault('InvalidParameterValue', 'MaxRecords must be between 20 and 100.');
  }
  let users = userId ? [directory.get('elasticache', userId)] : directory.list('elasticache');
  if (engine) users = users.filter((user) => user.engine === engine.toLowerCase());
  for (let i = 1; form.has(`Filters.member.${i}.Name`); i++) {
    const name = form.get(`Filters.member.${i}.Name`);
    const values = memberList(form, `Filters.member.${i}.Values`) ?? [];
    if (name !== 'UserId' && name !== 'UserName') {
      throw new ApiFault('InvalidParameterValue', `Unknown filter name ${name}.`);
    }
    users = users.filter((user) => values.includes(name === 'UserId' ? user.id : user.name));
  }
  const start = Number(form.get('Marker') ?? 0);
  const page = users.slice(start, start + maxRecords);
  const next = start + maxRecords < users.length ? text('Marker', start + maxRecords) : '';
  return element('Users', page.map((user) => element('member', userXml(user))).join('')) + next;
}

async function dispatch(directory: UserDirectory, action: string, form: URLSearchParams): Promise<string> {
  switch (action) {
    case 'DescribeUsers':
      return describeUsers(directory, form);
    case 'ModifyUser':
      return userXml(directory.modify('elasticache', required(form, 'UserId'), changeOf(form)));
    case 'CreateUser': {
      const groups = memberList(form, 'UserGroupIds');
      return userXml(
        await directory.create('elasticache', {
          id: required(form, 'UserId'),
          name: required(form, 'UserName'),
          engine: required(form, 'Engine'),
          accessString: required(form, 'AccessString'),
          change: changeOf(form),
          ...(groups ? { groups } : {}),
        }),
      );
    }
    case 'DeleteUser':
      return userXml(await directory.delete('elasticache', required(form, 'UserId')));
    default:
      throw new QueryError('InvalidAction', 400, `The action ${action} is not valid for this web service.`);
  }
}

/** Answer one form-encoded request body. */
export async function answerQuery(directory: UserDirectory, body: string): Promise<QueryAnswer> {
  const requestId = randomUUID();
  const form = new URLSearchParams(body);
  const action = form.get('Action') ?? '';
  const user = form.get('UserId') ?? undefined;
  const answer = (status: number, xml: string, fault?: string): QueryAnswer => ({
    status,
    body: xml,
    requestId,
    action,
    ...(user ? { user } : {}),
    ...(fault ? { fault } : {}),
  });
  try {
    if (!action) throw new QueryError('MissingAction', 400, 'The request must contain the parameter Action.');
    if (form.get('Version') !== ELASTICACHE_VERSION) {
      throw new QueryError(
        'InvalidParameterValue',
        400,
        `Version must be ${ELASTICACHE_VERSION} for ElastiCache user calls.`,
      );
    }
    return answer(200, success(action, await dispatch(directory, action, form), requestId));
  } catch (error) {
    if (error instanceof ApiFault) {
      const { code, status } = FAULT_CODES[error.kind].elasticache;
      return answer(status, errorXml(code, error.message, requestId), code);
    }
    if (error instanceof QueryError) {
      return answer(error.status, errorXml(error.code, error.message, requestId), error.code);
    }
    throw error;
  }
}

export { errorXml as queryErrorXml };
