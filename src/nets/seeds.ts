/** Seeding the networks' initializers, so a run's initial weights are a function of its seed. */

/**
 * The seeds of a network's initializers, one per call, derived from a run's seed; undefined without one (tfjs then
 * draws fresh randomness). Distinct per layer, so no two kernels start alike.
 */
export function layerSeeds(seed: number | undefined): () => number | undefined {
  let k = 0;
  return () => (seed === undefined ? undefined : seed * 1009 + ++k);
}
