import { PartialWireError } from './errors';

/** One change wire or unwire makes: a line saying what, and the call that makes it. */
export interface Action {
  describe: string;
  run(): Promise<void>;
}

/**
 * Print each action and run it in order, or only print with dryRun. A failure stops the rest and
 * says what was already done (every action is safe to repeat).
 */
export async function runActions(
  actions: readonly Action[],
  options: { dryRun?: boolean; say: (line: string) => void },
): Promise<void> {
  const done: string[] = [];
  for (const action of actions) {
    options.say(`  ${action.describe}`);
    if (options.dryRun) continue;
    try {
      await action.run();
    } catch (error) {
      throw new PartialWireError(done, action.describe, error);
    }
    done.push(action.describe);
  }
}
