/** Small statistics helpers for the benchmark: medians and summaries of per-run figures. */

export interface Summary {
  n: number;
  min: number;
  p50: number;
  mean: number;
  max: number;
  /** Every run's value, in run order, rounded to 0.1. */
  values: number[];
}

/** Linear-interpolated quantile (q in 0..1) of `values`; NaN when empty. */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const position = (sorted.length - 1) * q;
  const lower = Math.floor(position);
  const upper = Math.ceil(position);
  const low = sorted[lower]!;
  const high = sorted[upper]!;
  return low + (high - low) * (position - lower);
}

export function median(values: readonly number[]): number {
  return quantile(values, 0.5);
}

export function summarize(values: readonly number[]): Summary {
  const finite = values.filter((value) => Number.isFinite(value));
  return {
    n: finite.length,
    min: round(Math.min(...finite)),
    p50: round(median(finite)),
    mean: round(finite.reduce((sum, value) => sum + value, 0) / Math.max(1, finite.length)),
    max: round(Math.max(...finite)),
    values: values.map((value) => round(value)),
  };
}

/** Rounds to `digits` decimals (default 1); keeps NaN/Infinity out of JSON as null-like NaN. */
export function round(value: number, digits = 1): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}

/** Formats ms for the table: "512 ms", "4.31 s". */
export function formatMs(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return 'n/a';
  if (Math.abs(ms) >= 10_000) return `${(ms / 1000).toFixed(1)} s`;
  if (Math.abs(ms) >= 1000) return `${(ms / 1000).toFixed(2)} s`;
  return `${ms.toFixed(Math.abs(ms) < 10 ? 1 : 0)} ms`;
}
