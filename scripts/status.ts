/**
 * `npm run status [-- --org sergas --env prod] [--json] [--local] [--audit-days 30]`
 *
 * One look at the estate: every secret wired to the stack's rotation functions, with its kind,
 * environment, schedule and window, last and next rotation, state (ok, rotating, stuck at a step,
 * overdue, disabled) and its last failure's error class and what to do, from the audit trail.
 * Against the account your AWS credentials name, or with --local against moto (AWS_ENDPOINT_URL,
 * default http://127.0.0.1:5000). Exit code: 0 healthy, 1 something is stuck or overdue (so it can
 * gate a pipeline), 2 bad arguments, 3 the estate could not be read.
 */
import { parseArgs } from 'node:util';
import { monitorConfigFromEnv } from '../functions/rotation-monitor/settings';
import { useLocalAws } from '../ops/local-aws';
import { readEstate } from '../ops/status/estate';
import { renderTable, styleFor } from '../ops/status/render';
import { needsAction } from '../functions/rotation-monitor/assess';

const USAGE = 'usage: npm run status -- [--org <org>] [--env <env>] [--json] [--local] [--audit-days <days>]';

function usage(message: string): never {
  process.stderr.write(`${message}\n${USAGE}\n`);
  process.exit(2);
}

function parse() {
  try {
    return parseArgs({
      options: {
        org: { type: 'string', default: process.env.ORG ?? 'sergas' },
        env: { type: 'string', default: process.env.ENVIRONMENT ?? 'dev' },
        json: { type: 'boolean', default: false },
        local: { type: 'boolean', default: false },
        'audit-days': { type: 'string', default: '30' },
      },
    }).values;
  } catch (error) {
    return usage((error as Error).message);
  }
}

const values = parse();
const auditDays = Number(values['audit-days']);
if (!/^\d+$/.test(values['audit-days']) || auditDays > 365)
  usage('--audit-days needs a whole number of days from 0 (skip the audit lookup) to 365');

if (values.local) useLocalAws();

let exitCode: number;
try {
  const thresholds = monitorConfigFromEnv();
  const report = await readEstate({
    stack: { org: values.org, env: values.env },
    thresholds,
    ...(auditDays > 0 ? { auditSince: new Date(Date.now() - auditDays * 86_400_000) } : {}),
  });
  for (const warning of report.warnings) process.stderr.write(`warning: ${warning}\n`);
  process.stdout.write(
    values.json
      ? `${JSON.stringify(report, null, 2)}\n`
      : `${renderTable(report, styleFor(process.stdout))}\n`,
  );
  exitCode = report.secrets.some((secret) => needsAction(secret.state)) ? 1 : 0;
} catch (error) {
  const where = process.env.AWS_ENDPOINT_URL ?? 'AWS';
  process.stderr.write(
    `could not read the estate from ${where}: ${(error as Error).name}: ${(error as Error).message}\n`,
  );
  exitCode = 3;
}
process.exitCode = exitCode;
