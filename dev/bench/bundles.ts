import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';
import { functionNames } from '../../scripts/build.mjs';
import { bundlePath } from '../aws/local-lambda';
import { median, percentile, round } from './stats';

export interface BundleFigures {
  function: string;
  bytes: number;
  gzipBytes: number;
  /** Wall time of a fresh `node` that imports the bundle (module init included), median. */
  coldStartMs: number;
  coldStartP95Ms: number;
  /** The same minus a fresh `node` doing nothing: what the bundle itself costs. */
  bundleInitMs: number;
}

function timeProcess(args: string[]): number {
  const started = performance.now();
  const result = spawnSync(process.execPath, args, {
    stdio: 'ignore',
    env: { ...process.env, AWS_REGION: 'us-east-1' },
  });
  if (result.status !== 0) throw new Error(`node ${args.join(' ')} exited with ${result.status}`);
  return performance.now() - started;
}

/**
 * Size and cold initialisation of every bundle: at least `runs` fresh processes each, Node's own
 * start measured the same way and shown beside.
 */
export function measureBundles(runs: number): { nodeStartMs: number; bundles: BundleFigures[] } {
  const nodeStarts = Array.from({ length: runs }, () => timeProcess(['-e', '']));
  const nodeStartMs = median(nodeStarts);
  const bundles = functionNames().map((name) => {
    const file = bundlePath(name);
    const bytes = readFileSync(file);
    const importIt = [
      '--input-type=module',
      '-e',
      `await import(${JSON.stringify(pathToFileURL(file).href)})`,
    ];
    const times = Array.from({ length: runs }, () => timeProcess(importIt));
    return {
      function: name,
      bytes: bytes.length,
      gzipBytes: gzipSync(bytes).length,
      coldStartMs: round(median(times)),
      coldStartP95Ms: round(percentile(times, 95)),
      bundleInitMs: round(median(times) - nodeStartMs),
    };
  });
  return { nodeStartMs: round(nodeStartMs), bundles };
}
