import type { TestProject } from 'vitest/node';
import { buildAll } from '../../scripts/build.mjs';
import { startMoto } from '../../dev/aws/moto';

declare module 'vitest' {
  export interface ProvidedContext {
    motoEndpoint: string;
  }
}

/**
 * Once per test run: build every function bundle (integration tests exercise what would ship, not
 * the sources) and start one moto server that all test files share, each with its own secret names.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  await buildAll({ quiet: true });
  const moto = await startMoto();
  project.provide('motoEndpoint', moto.endpoint);
  return () => moto.stop();
}
