/**
 * A word-level diff of a learner's sentence and its correction, for the correction card's
 * highlighting. No diff library is installed (jsdiff is not a dependency), and a sentence is
 * short, so this is the textbook longest-common-subsequence table (Hirschberg's "A linear space
 * algorithm for computing maximal common subsequences", CACM 1975, section 2's quadratic
 * version), after trimming the common prefix and suffix.
 *
 * @example
 * diffWords('yesterday I go to park', 'Yesterday I went to the park.');
 * // [ { type: 'same', text: 'Yesterday I' }, { type: 'removed', text: 'go' }, { type: 'added', text: 'went' },
 * //   { type: 'same', text: 'to' }, { type: 'added', text: 'the' }, { type: 'same', text: 'park.' } ]
 */

/** One run of words: in both sentences, only in the original, or only in the correction. */
export interface DiffPart {
  type: 'same' | 'removed' | 'added';
  /** The run's words joined by single spaces (a `same` run has the corrected sentence's spelling). */
  text: string;
}

/** Above this many table cells (words x words after trimming) the middle is reported as replaced. */
const MAX_TABLE_CELLS = 250_000;

/**
 * Comparison key of a word: lower case, without punctuation at its ends, apostrophes unified, so
 * a transcript's missing capital or full stop is not shown as a mistake.
 */
function wordKey(word: string): string {
  const key = word.toLowerCase().replace(/[’‘`]/g, "'").replace(/^[^\p{L}\p{N}]+|[^\p{L}\p{N}]+$/gu, '');
  return key || word;
}

/**
 * Word diff of `original` and `corrected`, split on whitespace. Words are compared by
 * {@link wordKey} (case and edge punctuation ignored); `same` runs carry the corrected spelling,
 * so `same` + `added` texts give the corrected sentence and `same` + `removed` the original up to
 * case and punctuation. Within a change, `removed` comes before `added`; adjacent runs of one
 * type are merged.
 * @returns the parts in reading order; `[]` when both are empty
 */
export function diffWords(original: string, corrected: string): DiffPart[] {
  const before = original.split(/\s+/).filter(Boolean);
  const after = corrected.split(/\s+/).filter(Boolean);
  const beforeKeys = before.map(wordKey);
  const afterKeys = after.map(wordKey);

  let prefix = 0;
  while (prefix < before.length && prefix < after.length && beforeKeys[prefix] === afterKeys[prefix]) prefix++;
  let suffix = 0;
  while (
    suffix < before.length - prefix &&
    suffix < after.length - prefix &&
    beforeKeys[before.length - 1 - suffix] === afterKeys[after.length - 1 - suffix]
  ) suffix++;

  const parts: DiffPart[] = [];
  const push = (type: DiffPart['type'], word: string): void => {
    const last = parts.at(-1);
    if (last?.type === type) last.text += ` ${word}`;
    else parts.push({ type, text: word });
  };

  for (let index = 0; index < prefix; index++) push('same', after[index]!);
  const middle = middleDiff(
    beforeKeys.slice(prefix, before.length - suffix),
    afterKeys.slice(prefix, after.length - suffix),
  );
  for (const [type, beforeIndex, afterIndex] of middle) {
    push(type, type === 'removed' ? before[prefix + beforeIndex]! : after[prefix + afterIndex]!);
  }
  for (let index = after.length - suffix; index < after.length; index++) push('same', after[index]!);
  return parts;
}

/** Edit script of two key lists: [type, index in `a`, index in `b`], removals before additions. */
function middleDiff(a: string[], b: string[]): Array<[DiffPart['type'], number, number]> {
  const script: Array<[DiffPart['type'], number, number]> = [];
  if (a.length * b.length > MAX_TABLE_CELLS) {
    a.forEach((_, index) => script.push(['removed', index, -1]));
    b.forEach((_, index) => script.push(['added', -1, index]));
    return script;
  }
  // lengths[i][j]: LCS length of a[i..] and b[j..], in one flat array of (a+1) x (b+1).
  const width = b.length + 1;
  const lengths = new Uint32Array((a.length + 1) * width);
  for (let i = a.length - 1; i >= 0; i--) {
    for (let j = b.length - 1; j >= 0; j--) {
      lengths[i * width + j] =
        a[i] === b[j]
          ? lengths[(i + 1) * width + j + 1]! + 1
          : Math.max(lengths[(i + 1) * width + j]!, lengths[i * width + j + 1]!);
    }
  }
  let i = 0;
  let j = 0;
  const removed: number[] = [];
  const added: number[] = [];
  const flush = (): void => {
    for (const index of removed.splice(0)) script.push(['removed', index, -1]);
    for (const index of added.splice(0)) script.push(['added', -1, index]);
  };
  while (i < a.length || j < b.length) {
    if (i < a.length && j < b.length && a[i] === b[j]) {
      flush();
      script.push(['same', i, j]);
      i++;
      j++;
    } else if (j >= b.length || (i < a.length && lengths[(i + 1) * width + j]! >= lengths[i * width + j + 1]!)) {
      removed.push(i++);
    } else {
      added.push(j++);
    }
  }
  flush();
  return script;
}
