import { readdirSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join, relative, resolve, sep } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

/**
 * The consumer package stands alone: it imports nothing of this repository outside itself, only
 * Node built-ins, its peer the AWS SDK client, and each optional driver from its own subpath; and
 * no function depends on it (what ships in a Lambda bundle never includes it).
 */
const root = resolve(import.meta.dirname, '../../..');
const pkgDir = join(root, 'packages/consumer');
const manifest = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8')) as {
  exports: Record<string, string | { types: string; default: string }>;
  peerDependencies: Record<string, string>;
  dependencies?: Record<string, string>;
};

function sources(folder: string): string[] {
  return readdirSync(join(root, folder), { recursive: true, encoding: 'utf8' })
    .filter((name) => name.endsWith('.ts'))
    .map((name) => join(folder, name).split(sep).join('/'));
}

function importsOf(file: string): string[] {
  return ts
    .preProcessFile(readFileSync(join(root, file), 'utf8'), true, true)
    .importedFiles.map((f) => f.fileName);
}

const builtins = new Set([...builtinModules, ...builtinModules.map((name) => `node:${name}`)]);
const DRIVER_MODULES: Record<string, string> = {
  pg: 'packages/consumer/src/pg/rotating-pool.ts',
  ioredis: 'packages/consumer/src/redis/ioredis.ts',
  redis: 'packages/consumer/src/redis/node-redis.ts',
};

describe('the consumer package boundaries', () => {
  it('imports only its own files, Node built-ins, the AWS SDK client and each driver from its subpath', () => {
    const offending: string[] = [];
    for (const file of sources('packages/consumer/src')) {
      for (const specifier of importsOf(file)) {
        if (specifier.startsWith('.')) {
          const target = relative(pkgDir, resolve(root, file, '..', specifier));
          if (target.startsWith('..') || !target.startsWith('src')) offending.push(`${file} -> ${specifier}`);
          if (!specifier.endsWith('.js'))
            offending.push(`${file} -> ${specifier} (ESM needs the .js extension)`);
        } else if (builtins.has(specifier)) {
          continue;
        } else if (specifier === '@aws-sdk/client-secrets-manager') {
          continue;
        } else if (DRIVER_MODULES[specifier] !== file) {
          offending.push(`${file} -> ${specifier}`);
        }
      }
    }
    expect(offending).toEqual([]);
  });

  it('declares no dependency of its own, and every package it imports as a peer', () => {
    expect(manifest.dependencies).toBeUndefined();
    expect(Object.keys(manifest.peerDependencies).sort()).toEqual(
      ['@aws-sdk/client-secrets-manager', ...Object.keys(DRIVER_MODULES)].sort(),
    );
  });

  it('maps every export to a source file that exists', () => {
    const srcFiles = new Set(sources('packages/consumer/src'));
    for (const [subpath, target] of Object.entries(manifest.exports)) {
      if (typeof target === 'string') continue;
      const source = `packages/consumer/${target.default.replace('./dist/', 'src/').replace(/\.js$/, '.ts')}`;
      expect(srcFiles.has(source), `${subpath} -> ${source}`).toBe(true);
      expect(target.types).toBe(target.default.replace(/\.js$/, '.d.ts'));
    }
  });

  it('is used by no function and by nothing in shared/ (services install it; Lambdas do not ship it)', () => {
    const users = [...sources('functions'), ...sources('shared')].filter((file) =>
      importsOf(file).some(
        (specifier) => specifier.includes('packages/') || specifier.startsWith('@secret-rotation-suite/'),
      ),
    );
    expect(users).toEqual([]);
  });
});
