/**
 * `npm run wire -- --secret-id <id> --kind <kind> [--schedule 'rate(90 days)'|'cron(...)']
 *   [--window 3h] [--rotate-now] [--dry-run] [--stack <name>] [--local]`
 *
 * Wire an existing secret to the deployed stack's rotation function of its kind (ops/wire/wire.ts):
 * checks its value against the kind's schema, tags it for the monitor, attaches the function with
 * the kind's schedule (or --schedule and --window) and, for Zoho, the 45-minute refresh. --dry-run
 * prints what it would do. Exit code: 0 done, 1 refused or failed (the message says why and what
 * to do), 2 bad arguments (a schedule or window Secrets Manager would refuse included), 3 AWS could not be
 * reached.
 */
import { parseFlags } from '../ops/cli-args';
import { useLocalAws } from '../ops/local-aws';
import { reportFailure } from '../ops/wire/cli';
import { KIND_NAMES } from '../ops/wire/kinds';
import { wire } from '../ops/wire/wire';

const USAGE = `usage: npm run wire -- --secret-id <id> --kind <${KIND_NAMES.join('|')}> [--schedule 'rate(90 days)'|'cron(0 3 ? * SUN *)'] [--window 3h] [--rotate-now] [--dry-run] [--stack <name>] [--local]`;

const { values, usage } = parseFlags(
  {
    'secret-id': { type: 'string' },
    kind: { type: 'string' },
    schedule: { type: 'string' },
    window: { type: 'string' },
    'rotate-now': { type: 'boolean', default: false },
    'dry-run': { type: 'boolean', default: false },
    stack: { type: 'string' },
    local: { type: 'boolean', default: false },
  },
  USAGE,
);
const secretId = values['secret-id'] ?? usage('--secret-id is required');
const kind = values.kind ?? usage('--kind is required');
if (!KIND_NAMES.includes(kind)) usage(`--kind ${kind}: must be one of ${KIND_NAMES.join(', ')}`);
if (values.local) useLocalAws();

try {
  await wire({
    secretId,
    kind,
    ...(values.schedule ? { schedule: values.schedule } : {}),
    ...(values.window ? { window: values.window } : {}),
    rotateNow: values['rotate-now'],
    dryRun: values['dry-run'],
    ...(values.stack ? { stack: values.stack } : {}),
    say: (line) => process.stdout.write(`${line}\n`),
  });
} catch (error) {
  process.exitCode = reportFailure(error);
}
