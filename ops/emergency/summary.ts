import { redactingReplacer, scrub } from '../../shared/observability/redaction';
import type { Stack } from '../suite';
import { table } from '../table';
import { describeFilter, type FleetFilter } from './filters';
import type { FleetResult } from './fleet';
import type { FleetSecret, SkippedSecret } from './selection';

export interface FleetCounts {
  selected: number;
  rotated: number;
  revoked: number;
  failed: number;
  skipped: number;
}

export function countsOf(results: readonly FleetResult[], skipped: readonly SkippedSecret[]): FleetCounts {
  return {
    selected: results.length,
    rotated: results.filter((r) => r.outcome !== 'failed').length,
    revoked: results.filter((r) => r.outcome === 'rotated, revoked').length,
    failed: results.filter((r) => r.outcome === 'failed').length,
    skipped: skipped.length,
  };
}

export const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/** The end of the run: one row per secret (no values: names, kinds, outcomes, error names). */
export function renderResults(results: readonly FleetResult[], skipped: readonly SkippedSecret[]): string {
  const out = [
    table(
      ['secret', 'kind', 'outcome', 'duration', 'error'],
      results.map((r) => [r.secret, r.kind, r.outcome, seconds(r.durationMs), r.errorName ?? '-']),
    ),
  ];
  const failed = results.filter((r) => r.outcome === 'failed');
  if (failed.length > 0) {
    out.push('');
    for (const r of failed) {
      out.push(`${r.secret}: ${r.errorName}: ${r.message ?? ''}`);
      if (r.action) out.push(`  what to do: ${r.action}`);
    }
  }
  if (skipped.length > 0) out.push('', ...skippedLines(skipped));
  const c = countsOf(results, skipped);
  out.push(
    '',
    `${c.selected} secrets: ${c.rotated} rotated${c.revoked > 0 ? ` (${c.revoked} revoked)` : ''}, ` +
      `${c.failed} failed; ${c.skipped} skipped`,
  );
  return out.join('\n');
}

/** What --dry-run prints: the secrets it would rotate, and those it would skip. */
export function renderPlan(
  secrets: readonly FleetSecret[],
  skipped: readonly SkippedSecret[],
  revokePrevious: boolean,
): string {
  const action = revokePrevious ? 'would rotate, revoke' : 'would rotate';
  const out =
    secrets.length > 0
      ? [
          table(
            ['secret', 'kind', 'outcome'],
            secrets.map((s) => [s.name, s.kind, action]),
          ),
        ]
      : [];
  if (skipped.length > 0) out.push('', ...skippedLines(skipped));
  out.push(
    '',
    `dry run: ${secrets.length} secrets would be rotated, ${skipped.length} skipped; nothing changed`,
  );
  return out.join('\n');
}

function skippedLines(skipped: readonly SkippedSecret[]): string[] {
  return skipped.map((s) => `skipped ${s.name}: ${s.reason}`);
}

export interface FleetNotice {
  subject: string;
  message: string;
}

/**
 * The one alert for the whole run: counts and the failed secrets in the subject and body, the
 * reason and filter for the record; names, kinds and error names only, never a value (and
 * scrubbed on the way out like every notice of the suite).
 */
export function fleetNotice(run: {
  stack: Stack;
  reason: string;
  filter: FleetFilter;
  results: readonly FleetResult[];
  skipped: readonly SkippedSecret[];
  startedAt: Date;
}): FleetNotice {
  const counts = countsOf(run.results, run.skipped);
  const failed = run.results.filter((r) => r.outcome === 'failed');
  const stackName = `${run.stack.org}-${run.stack.env}`;
  const head =
    failed.length === 0
      ? `Emergency rotation of ${stackName}: ${counts.rotated} rotated`
      : `Emergency rotation of ${stackName}: ${counts.failed} of ${counts.selected} failed`;
  const names = failed.map((r) => r.secret).join(', ');
  const subject = (failed.length > 0 ? `${head}: ${names}` : head)
    .replace(/[^\x20-\x7e]/g, '?')
    .slice(0, 100);
  const body = {
    type: 'emergency-fleet-rotation',
    stack: stackName,
    reason: run.reason,
    filter: describeFilter(run.filter),
    startedAt: run.startedAt.toISOString(),
    counts,
    failed: failed.map((r) => ({
      secretName: r.secret,
      kind: r.kind,
      errorName: r.errorName,
      ...(r.message ? { message: r.message } : {}),
      ...(r.action ? { action: r.action } : {}),
    })),
    rotated: run.results
      .filter((r) => r.outcome !== 'failed')
      .map((r) => ({ secretName: r.secret, kind: r.kind, revoked: r.outcome === 'rotated, revoked' })),
    skipped: run.skipped.map((s) => ({ secretName: s.name, reason: s.reason })),
  };
  return { subject: scrub(subject), message: JSON.stringify(body, redactingReplacer, 2) };
}
