import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * The bundles are minified, which renames classes, so an error class that relies on its class
 * name would log and alert as "e" or "IP". Every
 * exported error class must spell its name out.
 */
function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return path.endsWith('.ts') ? [path] : [];
  });
}

const errorClasses = ['functions', 'shared']
  .flatMap(sourceFiles)
  .flatMap((file) =>
    [...readFileSync(file, 'utf8').matchAll(/export class (\w+) extends \w*Error\b[^{]*\{([^}]*)/g)].map(
      (match) => ({ file, name: match[1] ?? '', body: match[2] ?? '' }),
    ),
  );

describe('error classes', () => {
  it('exist (the scan finds them)', () => {
    expect(errorClasses.length).toBeGreaterThan(10);
  });

  it.each(errorClasses.map((c) => [c.name, c.file, c.body]))(
    '%s (%s) declares its name',
    (name, _file, body) => {
      expect(body).toContain(`override readonly name: string = '${name}';`);
    },
  );
});
