/**
 * `npm run unwire -- --secret-id <id> [--dry-run] [--stack <name>] [--local]`
 *
 * Undo wire (ops/wire/unwire.ts): delete a Zoho secret's refresh schedule, turn automatic rotation
 * off (CancelRotateSecret) and remove the monitor's tags. The secret and its value stay. Exit code:
 * 0 done, 1 failed, 2 bad arguments, 3 AWS could not be reached.
 */
import { parseFlags } from '../ops/cli-args';
import { useLocalAws } from '../ops/local-aws';
import { reportFailure } from '../ops/wire/cli';
import { unwire } from '../ops/wire/unwire';

const USAGE = 'usage: npm run unwire -- --secret-id <id> [--dry-run] [--stack <name>] [--local]';

const { values, usage } = parseFlags(
  {
    'secret-id': { type: 'string' },
    'dry-run': { type: 'boolean', default: false },
    stack: { type: 'string' },
    local: { type: 'boolean', default: false },
  },
  USAGE,
);
const secretId = values['secret-id'] ?? usage('--secret-id is required');
if (values.local) useLocalAws();

try {
  await unwire({
    secretId,
    dryRun: values['dry-run'],
    ...(values.stack ? { stack: values.stack } : {}),
    say: (line) => process.stdout.write(`${line}\n`),
  });
} catch (error) {
  process.exitCode = reportFailure(error);
}
