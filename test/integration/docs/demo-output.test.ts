import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { fencedBlocks } from '../../support/markdown';

/**
 * README.md's quick start runs `npm run demo` and shows its output: this test runs exactly that
 * command and holds the excerpt to the real output, line by line, in order, from the first line to
 * the last. In the excerpt a line `...` stands for any number of lines; numbers (timings, ports,
 * counts), relative dates, the width of runs of spaces and of a table's rule line may differ.
 */
const normalise = (line: string) =>
  line
    .replace(/\d+/g, '#')
    // The status table's relative dates: a slow run may say "1 min ago" where the excerpt says "just now".
    .replace(/just now|# (?:min|h|d) ago|in # (?:min|h|d)/g, '<when>')
    // A table's rule line is as wide as its widest cell, which a number may widen.
    .replace(/-{2,}/g, '--')
    .replace(/\s+/g, ' ')
    .trim();

/** Whether `pattern` (with `...` lines) matches all of `lines`: glob matching, line by line. */
function matchesExcerpt(pattern: string[], lines: string[]): boolean {
  // reach[j]: the pattern so far can match exactly the first j lines.
  let reach = lines.map(() => false).concat(false);
  reach[0] = true;
  for (const step of pattern) {
    const next = reach.map(() => false);
    if (step.trim() === '...') {
      let seen = false;
      reach.forEach((ok, j) => (next[j] = seen ||= ok));
    } else {
      for (let j = 1; j <= lines.length; j++)
        next[j] = reach[j - 1] === true && normalise(lines[j - 1] ?? '') === normalise(step);
    }
    reach = next;
  }
  return reach[lines.length] === true;
}

/** The first line of the excerpt that no alignment reaches: what to fix in README.md. */
function firstMismatch(pattern: string[], lines: string[]): string {
  for (let upTo = pattern.length; upTo > 0; upTo--) {
    const prefix = [...pattern.slice(0, upTo), '...'];
    if (matchesExcerpt(prefix, lines)) return pattern[upTo] ?? '(the end: the output goes on)';
  }
  return pattern[0] ?? '(empty excerpt)';
}

function npmRunDemo(): Promise<{ code: number | null; stdout: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('npm', ['run', 'demo'], { stdio: ['ignore', 'pipe', 'inherit'] });
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout }));
  });
}

describe("README.md's demo output", () => {
  it('is what `npm run demo` prints, in shape and order', { timeout: 180_000 }, async () => {
    const [excerpt] = fencedBlocks(readFileSync('README.md', 'utf8')).filter(
      (b) => b.info === 'text demo-output',
    );
    expect(excerpt, 'README.md has a ```text demo-output block').toBeDefined();
    const run = await npmRunDemo();
    expect(run.code).toBe(0);
    // npm's own banner (`> secret-rotation-suite@0.1.0 demo`, `> tsx scripts/demo.ts`) comes first.
    const lines = run.stdout.split('\n');
    while (lines[0] !== undefined && (lines[0].startsWith('> ') || lines[0].trim() === '')) lines.shift();
    while (lines.at(-1)?.trim() === '') lines.pop();
    const pattern = excerpt?.lines ?? [];
    expect(
      matchesExcerpt(pattern, lines),
      `first excerpt line not in the output: ${firstMismatch(pattern, lines)}`,
    ).toBe(true);
    expect(lines.at(-1)).toBe('6 secrets wired to sergas-dev: 6 ok');
  });

  it('matches with `...` gaps and differing numbers, and not out of order', () => {
    const out = ['a 12 ms', 'b', 'c', 'd'];
    expect(matchesExcerpt(['a 7 ms', '...', 'd'], out)).toBe(true);
    expect(matchesExcerpt(['a 7 ms', 'c', '...'], out)).toBe(false);
    expect(matchesExcerpt(['...', 'c', 'b', '...'], out)).toBe(false);
    expect(matchesExcerpt(['b', '...'], out)).toBe(false);
  });
});
