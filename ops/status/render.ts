import { styleText } from 'node:util';
import type { RotationState } from '../../functions/rotation-monitor/assess';
import { table } from '../table';
import type { EstateReport, SecretStatus } from './estate';

type Colour = 'green' | 'cyan' | 'red' | 'yellow' | 'dim' | 'bold';

/** How to decorate the table: symbols on a terminal only, colours as the stream allows. */
export interface Style {
  symbols: boolean;
  paint(colour: Colour, text: string): string;
}

export const plain: Style = { symbols: false, paint: (_colour, text) => text };

/**
 * For a stream: symbols when it is a terminal; colours too unless NO_COLOR is set (no-color.org: any
 * value but the empty string), and as far as the terminal has them (styleText's stream check).
 */
export function styleFor(stream: NodeJS.WriteStream, env: NodeJS.ProcessEnv = process.env): Style {
  if (!stream.isTTY) return plain;
  if (env.NO_COLOR) return { ...plain, symbols: true };
  return {
    symbols: true,
    paint: (colour, text) => styleText(colour, text, { stream, validateStream: true }),
  };
}

const LOOK: Record<RotationState, { symbol: string; colour: Colour }> = {
  ok: { symbol: '✓', colour: 'green' },
  rotating: { symbol: '↻', colour: 'cyan' },
  stuck: { symbol: '✗', colour: 'red' },
  overdue: { symbol: '!', colour: 'red' },
  disabled: { symbol: '-', colour: 'yellow' },
};

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** `just now`, `12 min ago`, `3 h ago`, `in 87 d`: how far a date is from `now`. */
export function relative(iso: string | undefined, now: Date): string {
  if (!iso) return '-';
  const delta = new Date(iso).getTime() - now.getTime();
  const size = Math.abs(delta);
  if (size < MINUTE) return 'just now';
  const amount =
    size < HOUR
      ? `${Math.round(size / MINUTE)} min`
      : size < 2 * DAY
        ? `${Math.round(size / HOUR)} h`
        : `${Math.round(size / DAY)} d`;
  return delta < 0 ? `${amount} ago` : `in ${amount}`;
}

const stateText = (secret: SecretStatus) =>
  secret.state === 'stuck' && secret.stuckAt ? `stuck at ${secret.stuckAt}` : secret.state;

function failureText(secret: SecretStatus): string {
  const failure = secret.lastFailure;
  return failure ? `${failure.step} ${failure.errorClass}` : '-';
}

/** What needs saying about a secret below the table: its problems and its last failure's action. */
function notes(secret: SecretStatus, now: Date): string[] {
  const lines = secret.problems.map((problem) => `  ${problem}`);
  const failure = secret.lastFailure;
  if (failure) {
    lines.push(
      `  last failure ${relative(failure.at, now)}: ${failure.step} ${failure.errorClass}` +
        (failure.message ? `: ${failure.message}` : '') +
        (failure.retryable ? ' (retryable)' : ''),
    );
    if (failure.action) lines.push(`  what to do: ${failure.action}`);
  }
  return lines.length > 0 ? [`${secret.name}: ${stateText(secret)}`, ...lines] : [];
}

const HEADER = [
  'state',
  'kind',
  'secret',
  'env',
  'schedule',
  'window',
  'last rotated',
  'next rotation',
  'last failure',
];

/** The status table, then a note per secret that needs one, then the counts. */
export function renderTable(report: EstateReport, style: Style = plain): string {
  const now = new Date(report.checkedAt);
  const rows = report.secrets.map((secret) => [
    (style.symbols ? `${LOOK[secret.state].symbol} ` : '') + stateText(secret),
    secret.kind,
    secret.name,
    secret.environment,
    secret.schedule,
    secret.window,
    relative(secret.lastRotated, now),
    relative(secret.nextRotation, now),
    failureText(secret),
  ]);
  const out: string[] = [];
  if (rows.length > 0) {
    out.push(
      table(HEADER, rows, (padded, row, column) => {
        const secret = report.secrets[row];
        if (!secret || (column !== 0 && !(column === 8 && secret.lastFailure))) return padded;
        return style.paint(column === 0 ? LOOK[secret.state].colour : 'yellow', padded);
      }),
    );
  }
  const explained = report.secrets.flatMap((secret) => notes(secret, now));
  if (explained.length > 0) out.push('', ...explained);
  const counts = (Object.entries(report.counts) as [RotationState, number][])
    .filter(([, count]) => count > 0)
    .map(([state, count]) => `${count} ${state}`);
  out.push(
    '',
    `${report.secrets.length} secrets wired to ${report.stack.org}-${report.stack.env}` +
      (counts.length > 0 ? `: ${counts.join(', ')}` : ''),
  );
  return out.join('\n');
}
