import { createHash } from 'node:crypto';
import type { RedisServer } from '../redis/server';

/**
 * The user directory behind the local ElastiCache and MemoryDB user APIs: what the two services
 * keep about an RBAC user, the rules they enforce, and the one thing that makes it more than a
 * mock: every change is applied to real redis-server ACLs, so a password the API accepted is the
 * one AUTH accepts, and one it dropped is refused.
 *
 * Only SHA-256 hashes of passwords are kept (and sent to Redis as `#<hash>`), as the services keep
 * none in the clear either: DescribeUsers shows a password count, never a password.
 */

export type Service = 'elasticache' | 'memorydb';
export type UserStatus = 'active' | 'modifying' | 'deleting';
/** DescribeUsers' Authentication.Type. */
export type AuthenticationType = 'password' | 'no-password' | 'iam';

export interface CacheUser {
  service: Service;
  /** ElastiCache's UserId; MemoryDB users have only a name, which is their id. */
  id: string;
  /** The name clients AUTH with: the Redis ACL user. */
  name: string;
  engine: string;
  accessString: string;
  authType: AuthenticationType;
  passwordHashes: string[];
  status: UserStatus;
  /** ElastiCache UserGroupIds / MemoryDB ACLNames. */
  groups: string[];
  arn: string;
}

/**
 * What a request may change. `passwords` replaces the user's passwords (ElastiCache `Passwords`,
 * or either service's AuthenticationMode with Type password).
 */
export interface UserChange {
  passwords?: string[];
  authType?: AuthenticationType;
  accessString?: string;
}

/** The documented faults, one name each; each protocol spells them its own way (see FAULT_CODES). */
export type FaultKind =
  | 'InvalidUserState'
  | 'UserNotFound'
  | 'UserAlreadyExists'
  | 'DuplicateUserName'
  | 'InvalidParameterValue'
  | 'InvalidParameterCombination';

export class ApiFault extends Error {
  constructor(
    readonly kind: FaultKind,
    message: string,
  ) {
    super(message);
    this.name = kind;
  }
}

/**
 * The wire code of each fault: ElastiCache's Query protocol `<Code>` (the awsQueryError names in the
 * service model) and MemoryDB's JSON `__type` (the shape names), with the HTTP status each API
 * reference gives.
 */
export const FAULT_CODES: Record<FaultKind, Record<Service, { code: string; status: number }>> = {
  InvalidUserState: {
    elasticache: { code: 'InvalidUserState', status: 400 },
    memorydb: { code: 'InvalidUserStateFault', status: 400 },
  },
  UserNotFound: {
    elasticache: { code: 'UserNotFound', status: 404 },
    memorydb: { code: 'UserNotFoundFault', status: 400 },
  },
  UserAlreadyExists: {
    elasticache: { code: 'UserAlreadyExists', status: 400 },
    memorydb: { code: 'UserAlreadyExistsFault', status: 400 },
  },
  DuplicateUserName: {
    elasticache: { code: 'DuplicateUserName', status: 400 },
    memorydb: { code: 'DuplicateUserNameFault', status: 400 },
  },
  InvalidParameterValue: {
    elasticache: { code: 'InvalidParameterValue', status: 400 },
    memorydb: { code: 'InvalidParameterValueException', status: 400 },
  },
  InvalidParameterCombination: {
    elasticache: { code: 'InvalidParameterCombination', status: 400 },
    memorydb: { code: 'InvalidParameterCombinationException', status: 400 },
  },
};

/** One API call as the emulator saw it: for tests that count calls or prove none was made. */
export interface ApiCall {
  service: Service;
  action: string;
  /** The user the call named (UserId / UserName), if any. */
  user?: string;
  /** The fault it was answered with, if it failed. */
  fault?: string;
}

export interface DirectoryOptions {
  region: string;
  account: string;
  /** The servers every user is applied to (the clusters of the user's group). */
  servers: readonly RedisServer[];
  /** How long a user stays `modifying` after a change before it is applied and `active` again. */
  modifyingMs: number;
}

const USER_ID = /^[a-zA-Z][a-zA-Z0-9-]*$/;
/** ElastiCache and MemoryDB: 16 to 128 printable ASCII characters, none of `@`, `"` and `/`. */
const PASSWORD = /^[\x21-\x7e]{16,128}$/;
const FORBIDDEN_IN_PASSWORD = /[@"/]/;
export const MAX_PASSWORDS = 2;

export function sha256Hex(value: string): string {
  return createHash('sha256').update(value, 'utf8').digest('hex');
}

export class UserDirectory {
  readonly #users = new Map<string, CacheUser>();
  readonly #held = new Set<string>();
  readonly #pendingApply = new Map<string, { timer: NodeJS.Timeout; run: () => Promise<void> }>();
  readonly #calls: ApiCall[] = [];
  readonly #applyErrors: string[] = [];
  modifyingMs: number;

  constructor(readonly options: DirectoryOptions) {
    this.modifyingMs = options.modifyingMs;
  }

  /** Every call answered so far, in order. */
  calls(filter: Partial<Pick<ApiCall, 'service' | 'action' | 'user'>> = {}): ApiCall[] {
    return this.#calls.filter((call) =>
      Object.entries(filter).every(([key, value]) => call[key as keyof ApiCall] === value),
    );
  }

  resetCalls(): void {
    this.#calls.length = 0;
  }

  record(call: ApiCall): void {
    this.#calls.push(call);
  }

  /** Changes that could not be applied to a Redis server (should stay empty). */
  applyErrors(): readonly string[] {
    return this.#applyErrors;
  }

  arnOf(service: Service, id: string): string {
    const { region, account } = this.options;
    return service === 'elasticache'
      ? `arn:aws:elasticache:${region}:${account}:user:${id}`
      : `arn:aws:memorydb:${region}:${account}:user/${id}`;
  }

  get(service: Service, id: string): CacheUser {
    const user = this.#users.get(key(service, id));
    if (!user) {
      throw new ApiFault(
        'UserNotFound',
        service === 'elasticache' ? `User ${id} not found.` : `User ${id} not found`,
      );
    }
    return user;
  }

  list(service: Service): CacheUser[] {
    return [...this.#users.values()].filter((user) => user.service === service);
  }

  /** CreateUser: applied at once and `active`, as both services answer it. */
  async create(
    service: Service,
    spec: {
      id: string;
      name: string;
      engine?: string;
      accessString: string;
      change: UserChange;
      groups?: string[];
    },
  ): Promise<CacheUser> {
    checkUserId(spec.id, service === 'elasticache' ? 'UserId' : 'UserName');
    if (this.#users.has(key(service, spec.id))) {
      throw new ApiFault('UserAlreadyExists', `User ${spec.id} already exists.`);
    }
    // ElastiCache allows several users named `default` (a replacement default user has another id).
    if (
      service === 'elasticache' &&
      spec.name !== 'default' &&
      this.list(service).some((user) => user.name === spec.name)
    ) {
      throw new ApiFault('DuplicateUserName', `A user with the user name ${spec.name} already exists.`);
    }
    const auth = authenticationOf(spec.change, 'create');
    const user: CacheUser = {
      service,
      id: spec.id,
      name: spec.name,
      engine: spec.engine?.toLowerCase() ?? 'redis',
      accessString: spec.accessString,
      authType: auth.authType,
      passwordHashes: auth.passwordHashes,
      status: 'active',
      groups: spec.groups ?? [],
      arn: this.arnOf(service, spec.id),
    };
    await this.applyToServers(user);
    this.#users.set(key(service, spec.id), user);
    return { ...user };
  }

  /**
   * ModifyUser / UpdateUser: refused unless the user is `active`; then `modifying` for
   * `modifyingMs` (or until `release` when held), and only then applied to the servers: clients see
   * the new passwords work once the user is active again, as the services document.
   */
  modify(service: Service, id: string, change: UserChange): CacheUser {
    const user = this.get(service, id);
    if (user.status !== 'active') {
      throw new ApiFault('InvalidUserState', `User ${id} is not in active state (it is ${user.status}).`);
    }
    if (
      change.passwords === undefined &&
      change.authType === undefined &&
      change.accessString === undefined
    ) {
      throw new ApiFault('InvalidParameterCombination', 'No modifications were requested.');
    }
    const auth =
      change.passwords !== undefined || change.authType !== undefined
        ? authenticationOf(change, 'modify')
        : { authType: user.authType, passwordHashes: user.passwordHashes };
    // DescribeUsers shows the change at once (the service has recorded it); the servers get it
    // when the user turns active again.
    Object.assign(user, {
      authType: auth.authType,
      passwordHashes: auth.passwordHashes,
      accessString: change.accessString ?? user.accessString,
      status: 'modifying',
    });
    const applied = { ...user };
    this.#schedule(service, id, async () => {
      try {
        await this.applyToServers(applied);
      } catch (error) {
        this.#applyErrors.push(`${service} user ${id}: ${(error as Error).message}`);
      }
      user.status = 'active';
    });
    return { ...user };
  }

  /** Keep a user `modifying` (a change stuck in the service) until `release`. */
  hold(service: Service, id: string): void {
    this.#held.add(key(service, id));
  }

  async release(service: Service, id: string): Promise<void> {
    this.#held.delete(key(service, id));
    const pending = this.#pendingApply.get(key(service, id));
    if (pending) {
      clearTimeout(pending.timer);
      await pending.run();
    }
  }

  /** Resolves once no change is waiting to be applied (tests that need the settled state). */
  async settled(): Promise<void> {
    while ([...this.#pendingApply.keys()].some((k) => !this.#held.has(k))) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  async delete(service: Service, id: string): Promise<CacheUser> {
    const user = this.get(service, id);
    if (user.status !== 'active') {
      throw new ApiFault('InvalidUserState', `User ${id} is not in active state (it is ${user.status}).`);
    }
    this.#users.delete(key(service, id));
    for (const server of this.options.servers) await server.adminCall('ACL', 'DELUSER', user.name);
    return { ...user, status: 'deleting' };
  }

  stop(): void {
    for (const pending of this.#pendingApply.values()) clearTimeout(pending.timer);
    this.#pendingApply.clear();
  }

  #schedule(service: Service, id: string, apply: () => Promise<void>): void {
    const k = key(service, id);
    let ran = false;
    const run = async () => {
      if (ran) return;
      ran = true;
      await apply();
      this.#pendingApply.delete(k);
    };
    const timer = setTimeout(() => {
      if (!this.#held.has(k)) void run();
    }, this.modifyingMs);
    this.#pendingApply.set(k, { timer, run });
  }

  /**
   * The user's ACL on every server, in one ACL SETUSER each (atomic per server): its access string
   * as the rules, then its passwords by hash. `nopass` for no-password users; an IAM user gets no
   * password at all, so no password AUTH can succeed as it.
   */
  async applyToServers(user: CacheUser): Promise<void> {
    const passwords =
      user.authType === 'no-password' ? ['nopass'] : user.passwordHashes.map((hash) => `#${hash}`);
    const rules = user.accessString.split(/\s+/).filter(Boolean);
    for (const server of this.options.servers) {
      await server.adminCall('ACL', 'SETUSER', user.name, 'reset', ...rules, ...passwords);
      if (server.aclFilePath) await server.adminCall('ACL', 'SAVE');
    }
  }
}

function key(service: Service, id: string): string {
  return `${service}/${id}`;
}

function checkUserId(id: string, parameter: string): void {
  if (!USER_ID.test(id)) {
    throw new ApiFault(
      'InvalidParameterValue',
      `Invalid ${parameter}: must begin with a letter and contain only ASCII letters, digits and hyphens.`,
    );
  }
}

/** The authentication a change asks for, with the services' password rules enforced. */
function authenticationOf(
  change: UserChange,
  operation: 'create' | 'modify',
): { authType: AuthenticationType; passwordHashes: string[] } {
  const authType = change.authType ?? (change.passwords ? 'password' : undefined);
  if (authType === undefined) {
    if (operation === 'create') {
      throw new ApiFault(
        'InvalidParameterValue',
        'Passwords or NoPasswordRequired, or an AuthenticationMode, must be provided.',
      );
    }
    throw new ApiFault('InvalidParameterCombination', 'No modifications were requested.');
  }
  if (authType !== 'password') {
    if (change.passwords?.length) {
      throw new ApiFault(
        'InvalidParameterCombination',
        `Passwords cannot be given with authentication type ${authType}.`,
      );
    }
    return { authType, passwordHashes: [] };
  }
  const passwords = change.passwords ?? [];
  if (passwords.length === 0) {
    throw new ApiFault(
      'InvalidParameterValue',
      'At least one password is required for password authentication.',
    );
  }
  if (passwords.length > MAX_PASSWORDS) {
    throw new ApiFault('InvalidParameterValue', `A user can have at most ${MAX_PASSWORDS} passwords.`);
  }
  for (const password of passwords) {
    // Never quote the password: the message goes back to the caller and into its logs.
    if (!PASSWORD.test(password) || FORBIDDEN_IN_PASSWORD.test(password)) {
      throw new ApiFault(
        'InvalidParameterValue',
        'Passwords must be 16 to 128 printable ASCII characters and must not contain @, " or /.',
      );
    }
  }
  const hashes = passwords.map(sha256Hex);
  if (new Set(hashes).size !== hashes.length) {
    throw new ApiFault('InvalidParameterValue', 'The same password was given twice.');
  }
  return { authType, passwordHashes: hashes };
}
