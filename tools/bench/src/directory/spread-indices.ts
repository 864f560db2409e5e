/**
 * `count` indices spread evenly over 0..total-1 (the first at 0), so the accounts a benchmark
 * changes fall in every batch of the pass rather than all in the first one.
 */
export function spreadIndices(total: number, count: number): number[] {
  if (!Number.isInteger(total) || !Number.isInteger(count) || count < 0 || count > total)
    throw new Error(`cannot pick ${count} of ${total}`);
  return Array.from({ length: count }, (_, i) => Math.floor((i * total) / count));
}
