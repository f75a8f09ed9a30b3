/**
 * Thinking time learned per learner: the silence that ends a spoken turn, set from the pauses the
 * learner makes inside their own turns. Learners stop mid-sentence to find words far more than
 * native speakers; a fixed silence either cuts beginners off or keeps fluent speakers waiting.
 *
 * The turn-end silence is a high percentile of the learner's recent within-turn pauses plus a
 * margin, bounded by the settings' range: a pause longer than nearly all of theirs is most likely
 * the end of the turn. Only pauses long enough to be "maybe done" moments are recorded (shorter
 * gaps between words say nothing about the tail that matters here).
 */

/** The settings' range for the thinking time, ms (the UI's slider uses the same). */
export const THINKING_TIME_RANGE = { min: 300, max: 2500, default: 900 } as const;

/** Within-turn pauses kept per learner (the most recent ones). */
export const MAX_RECORDED_PAUSES = 200;

export interface ThinkingTimeOptions {
  /** Percentile of the pauses, 0-100 (default 95). */
  percentile?: number;
  /** Added to the percentile, ms (default 200: the VAD's 32 ms frames and hysteresis, and some slack). */
  marginMs?: number;
  /** Fewer pauses than this: the default thinking time (default 5). */
  minPauses?: number;
  /** Bounds and default, ms (default {@link THINKING_TIME_RANGE}). */
  range?: { min: number; max: number; default: number };
}

/**
 * The turn-end silence for a learner, ms: `percentile(pauses) + margin`, within `range`; the
 * range's default until `minPauses` pauses are known. Non-finite or negative pauses are ignored.
 * Percentile with linear interpolation between closest ranks (NIST/Excel "PERCENTILE.INC").
 */
export function learnedThinkingTimeMs(pauses: readonly number[], options: ThinkingTimeOptions = {}): number {
  const { percentile = 95, marginMs = 200, minPauses = 5, range = THINKING_TIME_RANGE } = options;
  const valid = pauses.filter((pause) => Number.isFinite(pause) && pause >= 0).sort((a, b) => a - b);
  if (valid.length < minPauses) return range.default;
  const rank = (Math.min(100, Math.max(0, percentile)) / 100) * (valid.length - 1);
  const low = Math.floor(rank);
  const high = Math.min(valid.length - 1, low + 1);
  const value = valid[low]! + (valid[high]! - valid[low]!) * (rank - low);
  return Math.round(Math.min(range.max, Math.max(range.min, value + marginMs)));
}

/** Adds pauses to a learner's record, keeping the newest {@link MAX_RECORDED_PAUSES}. */
export function recordPauses(record: readonly number[], pauses: readonly number[]): number[] {
  const kept = [...record, ...pauses.filter((pause) => Number.isFinite(pause) && pause >= 0).map((pause) => Math.round(pause))];
  return kept.slice(-MAX_RECORDED_PAUSES);
}
