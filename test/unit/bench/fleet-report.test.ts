import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { FleetFigures } from '../../../dev/bench/fleet';
import { type BenchResults, fleetSection, writeFleetSection, writeReport } from '../../../dev/bench/report';

const fleet: FleetFigures = {
  secrets: 1000,
  concurrency: 10,
  setupSeconds: 40,
  totalSeconds: 200,
  rotationsPerSecond: 5,
  failures: 1,
  kinds: [
    { kind: 'PostgreSQL (single user)', secrets: 143, failures: 0, p50Ms: 900, p95Ms: 2100 },
    {
      kind: 'Zoho CRM OAuth',
      secrets: 143,
      failures: 1,
      p50Ms: 700,
      p95Ms: 1500,
      firstError: 'setSecret TargetUnreachableError',
    },
  ],
  functionProcesses: 14,
  peakRssMb: 95,
  monitor: { checked: 1000, listPages: 10, perSecretCalls: 0, byAction: { ListSecrets: 10 } },
};
const dirs: string[] = [];
const scratch = () => {
  const dir = mkdtempSync(join(tmpdir(), 'fleet-report-'));
  dirs.push(dir);
  return dir;
};
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe("the report's fleet section", () => {
  it('gives the wave, each kind with p50/p95 and failures, and the monitor calls against the secrets', () => {
    const text = fleetSection(fleet, '2026-12-07T13:00:00Z');
    expect(text).toContain('1000 secrets, concurrency 10: 200 s, 5 rotations/s, 1 failures');
    expect(text).toMatch(/Zoho CRM OAuth\s+143\s+1\s+700 ms\s+1500 ms\s+setSecret TargetUnreachableError/);
    expect(text).toContain(
      'over the same 1000 secrets afterwards: 10 `ListSecrets` pages and\n0 per-secret calls',
    );
  });

  it('replaces only its own section, in place, and appends it to a report that has none', () => {
    const dir = scratch();
    const readme = join(dir, 'README.md');
    writeFileSync(readme, '# Benchmark report\n\n## Cold start\n\nfigures\n');
    writeFleetSection(fleet, '2026-12-07T13:00:00Z', dir);
    writeFileSync(readme, `${readFileSync(readme, 'utf8')}\n## Later section\n\nkept\n`);
    writeFleetSection({ ...fleet, totalSeconds: 150 }, '2026-12-08T13:00:00Z', dir);
    const text = readFileSync(readme, 'utf8');
    expect(text.match(/## A mixed fleet/g)).toHaveLength(1);
    expect(text).toContain('1000 secrets, concurrency 10: 150 s');
    expect(text).not.toContain(': 200 s');
    expect(text.indexOf('## Cold start')).toBeLessThan(text.indexOf('## A mixed fleet'));
    expect(text).toContain('## Later section\n\nkept\n');
  });

  it('survives the default bench rewriting the rest of the page', () => {
    const dir = scratch();
    writeFleetSection(fleet, '2026-12-07T13:00:00Z', dir);
    const results: BenchResults = {
      measuredAt: '2026-12-08T10:00:00.000Z',
      node: '24.21.0',
      machine: { cpus: 2, platform: 'linux', arch: 'x64' },
      nodeStartMs: 40,
      coldStarts: [{ function: 'postgres', bytes: 1, gzipBytes: 1, medianMs: 90, p95Ms: 99, vsNode: 2.2 }],
      rotations: [],
      scale: [
        {
          secrets: 50,
          concurrency: 10,
          totalSeconds: 3,
          rotationsPerSecond: 16,
          msPerRotation: 60,
          failures: 0,
          peakRssMb: 80,
        },
      ],
    };
    writeReport(results, dir);
    const text = readFileSync(join(dir, 'README.md'), 'utf8');
    expect(text).toContain('on 2026-12-08');
    expect(text.match(/## A mixed fleet/g)).toHaveLength(1);
    expect(text).toContain('1000 secrets, concurrency 10: 200 s');
  });
});
