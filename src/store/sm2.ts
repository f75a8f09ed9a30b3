/**
 * The SM-2 spaced-repetition scheduler: P. A. Wozniak, "Optimization of learning" (1990), the
 * SuperMemo 2 algorithm, https://super-memory.com/english/ol/sm2.htm. Pure functions, no database.
 */

/** A word's place in the schedule (the vocabulary table's review columns). */
export interface ReviewState {
  /** Days until the next review after the last successful one (SM-2's I(n)); 0 for a new word. */
  intervalDays: number;
  /** SM-2's E-Factor: 2.5 for a new word, never below 1.3. */
  ease: number;
  /** Successful reviews in a row (SM-2's n); 0 for a new word and after a lapse. */
  repetitions: number;
  /** Reviews of any grade. */
  reviews: number;
  /** Reviews graded below 3 (forgotten). */
  lapses: number;
}

export interface ScheduledReview extends ReviewState {
  /** When to show the word next, ms since the epoch. */
  dueAt: number;
}

/** Grades of SM-2, 0-5: 5 perfect, 4 after hesitation, 3 with serious difficulty, 2-0 forgotten. */
export type ReviewGrade = 0 | 1 | 2 | 3 | 4 | 5;

/** Grades for the usual four buttons of a review screen. */
export const REVIEW_GRADES = { again: 1, hard: 3, good: 4, easy: 5 } as const satisfies Record<string, ReviewGrade>;

export const NEW_WORD: ReviewState = { intervalDays: 0, ease: 2.5, repetitions: 0, reviews: 0, lapses: 0 };

/** A forgotten word comes back this soon, in the same session (SM-2 step 7: repeat the day's failed items). */
export const RELEARN_DELAY_MS = 10 * 60 * 1000;

const DAY_MS = 24 * 60 * 60 * 1000;
const MIN_EASE = 1.3;

/**
 * The state after a review graded `grade` at `now` (ms since the epoch). SM-2:
 * - grade >= 3: I(1) = 1 day, I(2) = 6 days, I(n) = ceil(I(n-1) * EF) (computed with the E-Factor
 *   before this review); then EF' = EF + (0.1 - (5 - q) * (0.08 + (5 - q) * 0.02)), at least 1.3
 *   (rounded to 4 decimals).
 * - grade < 3: repetitions start again from I(1) "without changing the E-Factor" (step 6), and the
 *   word is due again after RELEARN_DELAY_MS (step 7); a lapse is counted.
 * @throws RangeError when `grade` is not an integer 0-5
 * @example schedule(NEW_WORD, 4, Date.now()).intervalDays // 1
 */
export function schedule(state: ReviewState, grade: number, now: number): ScheduledReview {
  if (!Number.isInteger(grade) || grade < 0 || grade > 5) throw new RangeError(`A review grade is an integer 0-5, got ${grade}.`);
  const reviews = state.reviews + 1;
  if (grade < 3) {
    return { intervalDays: 1, ease: state.ease, repetitions: 0, reviews, lapses: state.lapses + 1, dueAt: now + RELEARN_DELAY_MS };
  }
  const intervalDays = state.repetitions === 0 ? 1 : state.repetitions === 1 ? 6 : Math.ceil(state.intervalDays * state.ease);
  const miss = 5 - grade;
  const ease = Math.max(MIN_EASE, Math.round((state.ease + (0.1 - miss * (0.08 + miss * 0.02))) * 1e4) / 1e4);
  return { intervalDays, ease, repetitions: state.repetitions + 1, reviews, lapses: state.lapses, dueAt: now + intervalDays * DAY_MS };
}
