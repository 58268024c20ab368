import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, relative, resolve, sep } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

/**
 * The house rules of docs/architecture.md, checked on every import of every source file:
 * functions/ -> shared/ only (and a function never imports another function's folder); shared/
 * never imports functions/; the thin layers of shared/ never import the rotation core; nothing in
 * functions/ or shared/ imports dev/, scripts/ or test/, nor a package that is not a dependency
 * (what ships); ops/ imports only functions/ and shared/; dev/ and scripts/ never import test/.
 */
const root = resolve(import.meta.dirname, '../../..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
  dependencies: Record<string, string>;
};
const SOURCE = /\.(ts|mts|mjs)$/;
const THIN_LAYERS = ['config', 'credentials', 'net', 'observability', 'secrets'];

function sourcesUnder(folder: string): string[] {
  const dir = join(root, folder);
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .map((name) => join(folder, name).split(sep).join('/'))
    .filter((path) => SOURCE.test(path) && !path.endsWith('.d.mts') && statSync(join(root, path)).isFile());
}

interface Import {
  from: string;
  specifier: string;
  /** The repository path a relative import resolves to (top folder first), or the package name. */
  target: string;
  relative: boolean;
}

function importsOf(file: string): Import[] {
  const text = readFileSync(join(root, file), 'utf8');
  const { importedFiles } = ts.preProcessFile(text, true, true);
  return importedFiles.map(({ fileName: specifier }) => {
    if (specifier.startsWith('.')) {
      const target = relative(root, resolve(root, dirname(file), specifier))
        .split(sep)
        .join('/');
      return { from: file, specifier, target, relative: true };
    }
    const parts = specifier.split('/');
    const name = specifier.startsWith('@') ? parts.slice(0, 2).join('/') : (parts[0] ?? specifier);
    return { from: file, specifier, target: name, relative: false };
  });
}

const topOf = (path: string) => path.split('/')[0] ?? '';
const describeImport = (i: Import) => `${i.from} imports '${i.specifier}'`;
const product = [...sourcesUnder('functions'), ...sourcesUnder('shared')].flatMap(importsOf);

describe('import direction', () => {
  it('finds the product sources it checks', () => {
    expect(product.length).toBeGreaterThan(100);
    expect(product.some((i) => i.from.startsWith('functions/postgres/'))).toBe(true);
  });

  it('keeps functions/ and shared/ free of dev/, scripts/ and test/', () => {
    const offending = product.filter((i) => i.relative && !['functions', 'shared'].includes(topOf(i.target)));
    expect(offending.map(describeImport)).toEqual([]);
  });

  it('lets a function import shared/ and its own folder, never another function', () => {
    const offending = product.filter(
      (i) =>
        i.from.startsWith('functions/') &&
        i.relative &&
        topOf(i.target) === 'functions' &&
        i.target.split('/')[1] !== i.from.split('/')[1],
    );
    expect(offending.map(describeImport)).toEqual([]);
  });

  it('never lets shared/ import functions/', () => {
    const offending = product.filter(
      (i) => i.from.startsWith('shared/') && i.relative && topOf(i.target) === 'functions',
    );
    expect(offending.map(describeImport)).toEqual([]);
  });

  it('keeps the thin layers of shared/ below the rotation core (no arrow runs back up)', () => {
    const offending = product.filter(
      (i) =>
        THIN_LAYERS.some((layer) => i.from.startsWith(`shared/${layer}/`)) &&
        i.relative &&
        i.target.startsWith('shared/rotation'),
    );
    expect(offending.map(describeImport)).toEqual([]);
  });

  it('ships only what package.json lists as dependencies (or Node built-ins)', () => {
    const builtins = new Set(builtinModules);
    const offending = product.filter(
      (i) =>
        !i.relative &&
        !i.specifier.startsWith('node:') &&
        !builtins.has(i.target) &&
        !(i.target in pkg.dependencies),
    );
    expect(offending.map(describeImport)).toEqual([]);
  });

  it('keeps ops/ (what operators run against a real account) free of dev/, scripts/ and test/', () => {
    const ops = sourcesUnder('ops').flatMap(importsOf);
    expect(ops.length).toBeGreaterThan(5);
    const offending = ops.filter(
      (i) => i.relative && !['functions', 'shared', 'ops'].includes(topOf(i.target)),
    );
    expect(offending.map(describeImport)).toEqual([]);
  });

  it('keeps dev/ and scripts/ free of test/ (the tests use the local stack, not the other way round)', () => {
    const offending = [...sourcesUnder('dev'), ...sourcesUnder('scripts'), ...sourcesUnder('ops')]
      .flatMap(importsOf)
      .filter((i) => i.relative && topOf(i.target) === 'test');
    expect(offending.map(describeImport)).toEqual([]);
  });
});
