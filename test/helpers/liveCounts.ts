import { liveObjects } from "@gradgraph/core";

/**
 * The live graph nodes and arrays once collection has settled. Finalizers report reclaimed
 * objects some turns after a collection, and under load later than that: the counts are read
 * when three rounds of collect-and-wait in a row see the same numbers.
 */
export async function settledLiveCounts(): Promise<Readonly<Record<string, number>>> {
  const collect = (globalThis as { gc?: () => void }).gc;
  if (collect === undefined) throw new Error("the memory tests need node --expose-gc (set in vitest.config.ts)");
  let previous = "";
  let unchanged = 0;
  for (let round = 0; round < 200 && unchanged < 3; round++) {
    collect();
    await new Promise((resolve) => setTimeout(resolve, 2));
    const counts = JSON.stringify(liveObjects());
    unchanged = counts === previous ? unchanged + 1 : 0;
    previous = counts;
  }
  return liveObjects();
}
