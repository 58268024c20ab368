/**
 * Run `work` on every item, at most `workers` at a time, each worker taking the next item when it
 * is done with one (a slow secret holds one worker, not the whole run). `work` learns its worker's
 * index, so a worker can own a resource (a warm local function process). Never rejects on an
 * item's failure: `work` reports its own outcome.
 */
export async function forEachBounded<T>(
  items: readonly T[],
  workers: number,
  work: (item: T, worker: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(workers, items.length) }, async (_, worker) => {
      for (let index = next++; index < items.length; index = next++) {
        await work(items[index] as T, worker);
      }
    }),
  );
}
