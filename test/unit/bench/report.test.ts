import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  type BenchResults,
  coldStartChart,
  rotationChart,
  scaleChart,
  writeReport,
} from '../../../dev/bench/report';

const results: BenchResults = {
  measuredAt: '2026-11-23T12:00:00.000Z',
  node: '24.21.0',
  machine: { cpus: 2, platform: 'linux', arch: 'x64' },
  nodeStartMs: 40,
  coldStarts: [
    { function: 'postgres', bytes: 650_000, gzipBytes: 197_000, medianMs: 110, p95Ms: 130, vsNode: 2.8 },
    {
      function: 'rotation-monitor',
      bytes: 537_000,
      gzipBytes: 162_000,
      medianMs: 100,
      p95Ms: 120,
      vsNode: 2.5,
    },
  ],
  rotations: [
    {
      type: 'PostgreSQL (single user)',
      rotations: 20,
      failures: 0,
      stepsMedianMs: 67,
      stepsP95Ms: 80,
      wallMedianMs: 80,
      wallP95Ms: 95,
      secretsManagerCalls: 7,
      firstRotationCalls: 8,
      callsByOperation: {},
      peakRssMb: 90,
    },
    {
      type: 'Zoho CRM OAuth <& co>',
      rotations: 20,
      failures: 1,
      stepsMedianMs: 43,
      stepsP95Ms: 50,
      wallMedianMs: 56,
      wallP95Ms: 70,
      secretsManagerCalls: 7,
      firstRotationCalls: 8,
      callsByOperation: {},
      peakRssMb: 80,
    },
  ],
  scale: [
    {
      secrets: 50,
      concurrency: 10,
      totalSeconds: 3.2,
      rotationsPerSecond: 15.6,
      msPerRotation: 64,
      failures: 0,
      peakRssMb: 95,
    },
    {
      secrets: 500,
      concurrency: 10,
      totalSeconds: 28.4,
      rotationsPerSecond: 17.6,
      msPerRotation: 57,
      failures: 0,
      peakRssMb: 99,
    },
  ],
};

/** Attributes given twice in one tag: an XML error, and a browser then draws nothing. */
function repeatedAttributes(svg: string): string[] {
  return [...svg.matchAll(/<[a-z]+\b([^>]*)>/g)].flatMap((tag) => {
    const names = [...(tag[1] ?? '').matchAll(/\s([a-zA-Z:-]+)=/g)].map((m) => m[1]);
    return names.filter((name, i) => names.indexOf(name) !== i).map((name) => `${name} in ${tag[0]}`);
  });
}

/** Tags opened minus tags closed, ignoring self-closing ones: 0 for well-nested markup. */
function unbalanced(svg: string): number {
  const opened = [...svg.matchAll(/<([a-z]+)\b[^>]*?(\/?)>/g)].filter((m) => m[2] !== '/').length;
  const closed = [...svg.matchAll(/<\/[a-z]+>/g)].length;
  return opened - closed;
}

describe('bench report', () => {
  it('draws cold start per bundle as Node start plus bundle init, with the ratio to Node', () => {
    const svg = coldStartChart(results);
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(unbalanced(svg)).toBe(0);
    expect(repeatedAttributes(svg)).toEqual([]);
    expect(svg).toContain('>postgres</text>');
    expect(svg).toContain('110 ms (2.8x Node)');
    expect(svg.match(/<rect [^>]*fill="#9aa5b1"/g)).toHaveLength(3); // legend + one per bundle
  });

  it('draws rotation time per kind as the four steps plus the service part, escaping text', () => {
    const svg = rotationChart(results);
    expect(unbalanced(svg)).toBe(0);
    expect(repeatedAttributes(svg)).toEqual([]);
    expect(svg).toContain('Zoho CRM OAuth &lt;&amp; co&gt;');
    expect(svg).not.toContain('<& co>');
    expect(svg).toContain('80 ms, 7 SM calls');
  });

  it('draws rotations per second against fleet size as a line through each wave', () => {
    const svg = scaleChart(results);
    expect(unbalanced(svg)).toBe(0);
    expect(repeatedAttributes(svg)).toEqual([]);
    expect(svg.match(/<circle /g)).toHaveLength(2);
    expect(svg).toContain('17.6/s');
    expect(svg).toMatch(/<path d="M[\d.]+,[\d.]+ L[\d.]+,[\d.]+"/);
  });

  it('writes the three charts and a page that shows them with the figures', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bench-report-'));
    try {
      const files = writeReport(results, dir).map((file) => file.slice(dir.length + 1));
      expect(files.sort()).toEqual(['README.md', 'cold-start.svg', 'rotation-time.svg', 'scale.svg']);
      const page = readFileSync(join(dir, 'README.md'), 'utf8');
      for (const svg of ['cold-start.svg', 'rotation-time.svg', 'scale.svg'])
        expect(page).toContain(`](${svg})`);
      expect(page).toContain('Node\n24.21.0, 2 CPUs');
      expect(page).not.toContain('load average');
      expect(page).toMatch(/postgres\s+634\.8 KB\s+192\.4 KB\s+110 ms\s+130 ms\s+2\.8/);
      expect(page).toMatch(/Zoho CRM OAuth <& co>\s+43 ms\s+50 ms\s+56 ms\s+70 ms\s+7 \(8\)\s+1\/20/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('says when the machine was busier than its CPUs, so loaded figures are not quoted', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bench-report-'));
    try {
      const busy = { ...results, machine: { ...results.machine, loadAverage: { start: 14.2, end: 9.5 } } };
      writeReport(busy, dir);
      expect(readFileSync(join(dir, 'README.md'), 'utf8')).toContain(
        '**The load average was 14.2 at the start and 9.5 at the end, on 2 CPUs: other jobs shared the machine',
      );
      writeReport(
        { ...results, machine: { ...results.machine, loadAverage: { start: 0.4, end: 1.1 } } },
        dir,
      );
      expect(readFileSync(join(dir, 'README.md'), 'utf8')).toContain(
        'The load average was 0.4 at the start and 1.1 at the end, on 2 CPUs.',
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
