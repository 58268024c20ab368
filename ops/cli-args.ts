import { parseArgs, type ParseArgsConfig } from 'node:util';

/**
 * An operator command's flags (node:util parseArgs), or exit 2 with the message and the usage line:
 * what every `npm run <command>` does with arguments it cannot take.
 */
export function parseFlags<O extends NonNullable<ParseArgsConfig['options']>>(options: O, usageLine: string) {
  const usage = (message: string): never => {
    process.stderr.write(`${message}\n${usageLine}\n`);
    process.exit(2);
  };
  try {
    return { values: parseArgs({ options, strict: true }).values, usage };
  } catch (error) {
    return { values: usage((error as Error).message), usage };
  }
}
