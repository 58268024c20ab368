import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * docs/consumer.md (and the README's quick start) show each example as it is in docs/examples/,
 * which the installed-package test runs: every snippet marked
 * `<!-- example: docs/examples/NAME.ts -->` must be that file, whole, and the page has no other
 * TypeScript snippet.
 */
const root = resolve(import.meta.dirname, '../../..');
const consumerPage = readFileSync(join(root, 'docs/consumer.md'), 'utf8');
const page = `${consumerPage}\n${readFileSync(join(root, 'README.md'), 'utf8')}`;
const files = readdirSync(join(root, 'docs/examples')).filter((name) => name.endsWith('.ts'));
const shown = [
  ...page.matchAll(/<!-- example: (docs\/examples\/[\w-]+\.ts) -->\s*```ts\n([\s\S]*?)```/g),
].map(([, path, code]) => ({ path: path ?? '', code: code ?? '' }));

describe('docs/consumer.md examples', () => {
  it('shows every file of docs/examples once', () => {
    expect(shown.map((s) => s.path).sort()).toEqual(files.map((name) => `docs/examples/${name}`).sort());
  });

  it.each(shown)('$path is shown exactly as the file the tests run', ({ path, code }) => {
    expect(code).toBe(readFileSync(join(root, path), 'utf8'));
  });

  it('docs/consumer.md has no TypeScript snippet that is not one of those files', () => {
    const snippets = consumerPage.match(/```ts\n/g) ?? [];
    expect(snippets.length).toBe(shown.filter((s) => consumerPage.includes(s.code)).length);
  });

  it('imports the package by name only, never by a path into this repository', () => {
    for (const file of files) {
      const text = readFileSync(join(root, 'docs/examples', file), 'utf8');
      expect(text, file).not.toMatch(/from '\.{1,2}\//);
      expect(text, file).toMatch(/from '@secret-rotation-suite\/consumer/);
    }
  });
});
