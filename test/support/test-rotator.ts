import * as z from 'zod/mini';
import { generatePassword } from '../../shared/credentials/password';
import { parserFor } from '../../shared/rotation/secret-format';
import { CredentialRejectedError } from '../../shared/errors';
import type { Rotator } from '../../shared/rotation/rotator';

const TestSecretSchema = z.looseObject({
  username: z.string().check(z.minLength(1)),
  password: z.string().check(z.minLength(1)),
});
export type TestSecret = z.infer<typeof TestSecretSchema>;

/**
 * A target system in memory: which passwords each user is accepted with. Plays the database in the
 * core's tests, so they prove the protocol, not a driver.
 */
export class InMemoryTarget {
  readonly accepted = new Map<string, Set<string>>();
  readonly calls: string[] = [];

  constructor(initial: TestSecret) {
    this.accepted.set(initial.username, new Set([initial.password]));
  }

  accepts(secret: TestSecret): boolean {
    return this.accepted.get(secret.username)?.has(secret.password) === true;
  }
}

export interface TestRotatorOptions {
  /** Steps that throw once, the first time they run, to simulate a crash. */
  crashOnce?: Set<'create' | 'set' | 'test' | 'finish'>;
}

/** A rotator for the in-memory target, with hooks to fail on demand. */
export function createTestRotator(
  target: InMemoryTarget,
  options: TestRotatorOptions = {},
): Rotator<TestSecret> {
  const crashOnce = new Set(options.crashOnce);
  const maybeCrash = (step: 'create' | 'set' | 'test' | 'finish') => {
    target.calls.push(step);
    if (crashOnce.delete(step)) throw new Error(`simulated crash in ${step}`);
  };
  return {
    kind: 'test',
    parse: parserFor(TestSecretSchema, 'test'),
    async create(current) {
      maybeCrash('create');
      return { ...current, password: generatePassword() };
    },
    async set(pending, ctx) {
      maybeCrash('set');
      const current = await ctx.current();
      if (!target.accepts(current) && !target.accepts(pending)) {
        throw new CredentialRejectedError(`target refused the current password of ${current.username}`);
      }
      target.accepted.get(pending.username)?.add(pending.password);
    },
    async test(pending) {
      maybeCrash('test');
      if (!target.accepts(pending)) throw new CredentialRejectedError('target refused the pending password');
    },
    async finish(pending, ctx) {
      maybeCrash('finish');
      const keep = new Set([pending.password, (await ctx.current()).password]);
      const passwords = target.accepted.get(pending.username);
      for (const password of [...(passwords ?? [])]) if (!keep.has(password)) passwords?.delete(password);
    },
    async revoke(previous) {
      target.accepted.get(previous.username)?.delete(previous.password);
    },
  };
}
