/**
 * Splits streamed reply text into chunks for TTS: whole sentences where possible, so each TTS call
 * gets natural prosody, and a short first chunk, so audio starts soon.
 *
 * Where a chunk ends, in order of preference:
 * 1. A sentence end: a run of `.` `!` `?` `…` (`?!`, `...`), plus closing quotes and brackets,
 *    followed by whitespace, once the chunk has `minChars`. Not a sentence end:
 *    - no whitespace after it: decimals (`3.14`, `$2.50`), URLs, e-mail addresses and domains
 *      (`example.com/path?q=1`), dotted abbreviations inside (`U.S.A`);
 *    - a `.` after a title or abbreviation: Dr. Mr. Mrs. Ms. Prof. St. vs. Jr. … (see TITLES), a
 *      dotted abbreviation (e.g. i.e. U.S. U.K. a.m. p.m.) or a single capital initial (J. K.).
 *      These never end a sentence, even before a capital ("moved to the U.S. Then…" stays one
 *      chunk): a missed split only makes a chunk longer, a wrong one breaks a phrase in two;
 *    - any terminator followed by a lowercase word ("etc. and", "approx. five", "Well... maybe").
 *      So "etc." ends a sentence only before a capital;
 *    - an ellipsis followed by the pronoun "I" ("Well... I think"): "I" is capitalised anywhere,
 *      so it says nothing about a new sentence, and after an ellipsis the thought usually goes on.
 *    An ellipsis that is not a sentence end is a pause: it counts as a clause boundary like `,`.
 *    A newline (the reply filter keeps one for a paragraph or list item) is also a sentence end.
 * 2. In the FIRST chunk of a reply only: a clause boundary (`,` `;` `:` followed by whitespace, or `,`
 *    `;` right after a letter whatever follows, `—`,
 *    a spaced ` – `) once the chunk has `firstChunkMinChars`, so the first audio can start after a
 *    few tokens. (The first chunk also takes a sentence end at that length.)
 * 3. A chunk that would grow past `maxChars` is cut inside its first `maxChars` characters at the
 *    last `;`/`:` (or short sentence end), else the last `,`/dash/ellipsis, else the last space,
 *    preferring a cut that leaves at least `minChars`; a text with no space at all is cut hard.
 * 4. At flush, the rest is the last chunk, however short.
 *
 * Lookahead: a sentence end is decided only once the next non-space character has arrived (or at
 * flush), since "3." may continue as "3.14" and "Dr" as "Dr. Smith". This costs one character of
 * latency per chunk (two after an ellipsis followed by "I") — a whole LLM token, since tokens carry
 * their leading space. A `,` or `;` right after a letter needs no lookahead (it cannot be part of a
 * number or a URL), so a first chunk ending at a clause is decided as soon as its comma arrives. Every decision depends only on the
 * text up to that lookahead, so streaming in any pieces gives exactly the chunks of
 * {@link chunkText}.
 *
 * Lengths are counted in UTF-16 code units of the text as it arrives. Chunks are trimmed, with
 * every whitespace run (newlines included) collapsed to one space, and never empty.
 */

/** Options of {@link SentenceChunker}. Lengths in characters (UTF-16 code units). */
export interface ChunkerOptions {
  /**
   * A chunk shorter than this is merged with the next one, except the last chunk at flush.
   * Default 30 (about 5-6 words, 2 s of speech): merges "Oh." or "Great job!" with the next
   * sentence, since very short TTS calls have poor prosody and a per-call overhead.
   */
  minChars?: number;
  /**
   * A chunk longer than this is split at the best clause boundary (`;` `:`, then `,` and dashes),
   * then at a space. Default 220 (about 40 words, 12-15 s of speech): far below Kokoro's
   * 510-token input limit, and short enough that a run-on sentence does not delay audio for long.
   */
  maxChars?: number;
  /**
   * The FIRST chunk of a reply may end at a clause boundary (`,` `;` `:` `—`) once it has at least
   * this many characters, so audio starts sooner. Default 24 (about 5-8 tokens: ~0.4 s of
   * generation at 19 tokens/s, README, "Performance").
   */
  firstChunkMinChars?: number;
}

/** The defaults of {@link ChunkerOptions} (reasons on each option). */
export const DEFAULT_CHUNKER_OPTIONS: Readonly<Required<ChunkerOptions>> = Object.freeze({
  minChars: 30,
  maxChars: 220,
  firstChunkMinChars: 24,
});

/**
 * A `.` after one of these words (any case) is an abbreviation, never a sentence end.
 * Titles before names, and abbreviations that rarely end a sentence.
 */
const TITLES: ReadonlySet<string> = new Set([
  'mr', 'mrs', 'ms', 'mx', 'dr', 'prof', 'st', 'sr', 'jr', 'mt', 'rev', 'fr', 'gen', 'col',
  'capt', 'lt', 'sgt', 'gov', 'sen', 'rep', 'hon', 'vs', 'cf', 'approx', 'fig', 'inc', 'ltd',
  'co', 'corp',
]);

const TERMINATORS = '.!?…';
/** Closing quotes and brackets that belong to the sentence before them. */
const CLOSERS = '"\'”’»)]}';
/** Opening quotes and brackets stripped from the front of the word before a `.`. */
const OPENERS = /^["'“‘«([{]+/;

/** Where a chunk may end; `end` is the index just past the chunk's last character. */
interface Boundary {
  /** `sentence`: short sentence end; `strong`: `;` `:`; `clause`: `,` dash ellipsis. */
  kind: 'sentence' | 'strong' | 'clause' | 'space';
  end: number;
}

/**
 * Streaming sentence chunker: feed it filtered reply text as it streams, get TTS chunks as soon as
 * they are decided (rules in the module header). After `flush()` it is reset for the next reply.
 *
 * @throws RangeError when an option is not a non-negative integer, `maxChars` < 1, or
 *   `minChars` > `maxChars`.
 * @example
 * const chunker = new SentenceChunker();
 * chunker.push("That's a great question! In English"); // ["That's a great question!"]
 * chunker.push(' we say "I have been" here.');           // []
 * chunker.flush();                                       // ['In English we say "I have been" here.']
 */
export class SentenceChunker {
  readonly #options: Readonly<Required<ChunkerOptions>>;
  /** Text not yet emitted as chunks. */
  #buffer = '';
  /** No chunk emitted yet in this reply. */
  #first = true;

  constructor(options: ChunkerOptions = {}) {
    this.#options = resolveOptions(options);
  }

  /** Feed filtered text; returns the chunks that are complete now (trimmed, non-empty). */
  push(text: string): string[] {
    this.#buffer += text;
    return this.#take(false);
  }

  /** End of stream: returns the remaining text as chunk(s), then resets for the next reply. */
  flush(): string[] {
    const chunks = this.#take(true);
    this.#buffer = '';
    this.#first = true;
    return chunks;
  }

  #take(final: boolean): string[] {
    const chunks: string[] = [];
    for (;;) {
      const cut = findCut(this.#buffer, this.#first, final, this.#options);
      if (cut === null) return chunks;
      chunks.push(this.#buffer.slice(cut.start, cut.end).replace(/\s+/g, ' ').trim());
      this.#buffer = this.#buffer.slice(cut.end);
      this.#first = false;
    }
  }
}

/**
 * One-shot helper: split a whole text into chunks (the same chunks as streaming it).
 *
 * @example
 * chunkText('Oh. Hi there, Dr. Smith! The price is $2.50 today.', { minChars: 10 });
 * // ['Oh. Hi there, Dr. Smith!', 'The price is $2.50 today.']
 */
export function chunkText(text: string, options?: ChunkerOptions): string[] {
  const chunker = new SentenceChunker(options);
  return [...chunker.push(text), ...chunker.flush()];
}

function resolveOptions(options: ChunkerOptions): Readonly<Required<ChunkerOptions>> {
  const resolved = { ...DEFAULT_CHUNKER_OPTIONS };
  for (const key of ['minChars', 'maxChars', 'firstChunkMinChars'] as const) {
    const value = options[key];
    if (value === undefined) continue;
    if (!Number.isInteger(value) || value < 0) {
      throw new RangeError(`ChunkerOptions.${key} must be a non-negative integer, got ${value}`);
    }
    resolved[key] = value;
  }
  if (resolved.maxChars < 1) throw new RangeError('ChunkerOptions.maxChars must be at least 1');
  if (resolved.minChars > resolved.maxChars) {
    throw new RangeError(
      `ChunkerOptions.minChars (${resolved.minChars}) must not exceed maxChars (${resolved.maxChars})`,
    );
  }
  return resolved;
}

/**
 * Finds the next chunk in `text`: its start (first non-space) and end indices, or null when it
 * cannot be decided yet (never when `final`, unless `text` is only whitespace). A result found
 * without `final` stays the same whatever text is appended: each decision reads only characters
 * that are present, and waits (null) when it needs one that is not.
 */
function findCut(
  text: string,
  isFirst: boolean,
  final: boolean,
  options: Readonly<Required<ChunkerOptions>>,
): { start: number; end: number } | null {
  const length = text.length;
  let start = 0;
  while (start < length && isSpace(text.charAt(start))) start++;
  if (start === length) return null;

  /** Chunks must end at or before this index. */
  const limit = start + options.maxChars;
  const sentenceMin = isFirst ? Math.min(options.minChars, options.firstChunkMinChars) : options.minChars;
  const clauseMin = isFirst ? options.firstChunkMinChars : Infinity;
  const fallbacks: Boundary[] = [];
  /** Takes `end` as the cut if the chunk is long enough, else keeps it for a forced split. */
  const consider = (kind: Boundary['kind'], end: number, min: number): boolean => {
    if (end - start >= min) return true;
    fallbacks.push({ kind, end });
    return false;
  };

  let skipUntil = start;
  for (let index = start; index < length; index++) {
    const char = text.charAt(index);
    if (index >= limit && !isSpace(char)) return { start, end: forcedEnd(text, fallbacks, start, options) };
    if (index < skipUntil) continue;

    if (TERMINATORS.includes(char)) {
      let runEnd = index;
      while (runEnd < length && TERMINATORS.includes(text.charAt(runEnd))) runEnd++;
      let end = runEnd;
      while (end < length && CLOSERS.includes(text.charAt(end))) end++;
      skipUntil = end;
      if (end > limit) continue;
      if (end === length && !final) return null;
      const kind = classifyTerminator(text, index, runEnd, end, final);
      if (kind === null) return null;
      if (kind === 'sentence' && consider('sentence', end, sentenceMin)) return { start, end };
      if (kind === 'clause' && consider('clause', end, clauseMin)) return { start, end };
    } else if (char === '\n') {
      if (index <= limit && consider('sentence', index, sentenceMin)) return { start, end: index };
    } else if (char === ',' || char === ';' || char === ':' || char === '—' || char === '–') {
      const end = index + 1;
      if (end > limit) continue;
      const spacedBefore = index > start && isSpace(text.charAt(index - 1));
      if (char === '–' && !spacedBefore) continue;
      // A `,` or `;` right after a letter is a boundary whatever follows, so it is decided at once
      // (LLM tokens carry their space at their start: waiting for it would cost a whole token).
      const afterLetter = (char === ',' || char === ';') && index > start && /\p{L}/u.test(text.charAt(index - 1));
      if (char !== '—' && !afterLetter) {
        // `3,000`, `10:30`, `https://`, `1–2` are not clause boundaries.
        if (end === length && !final) return null;
        if (end < length && !isSpace(text.charAt(end))) continue;
      }
      const kind = char === ';' || char === ':' ? 'strong' : 'clause';
      if (consider(kind, end, clauseMin)) return { start, end };
    } else if (isSpace(char) && index <= limit) {
      fallbacks.push({ kind: 'space', end: index });
    }
  }
  return final ? { start, end: length } : null;
}

/**
 * Classifies the terminator run `text[runStart, runEnd)` followed by closers up to `end`:
 * 'sentence' (an end), 'clause' (an ellipsis that is a pause), 'none', or null when it needs text
 * that has not arrived. Called only when `text[end]` is present or `final`.
 */
function classifyTerminator(
  text: string,
  runStart: number,
  runEnd: number,
  end: number,
  final: boolean,
): 'sentence' | 'clause' | 'none' | null {
  const length = text.length;
  if (end === length) return 'sentence';
  if (!isSpace(text.charAt(end))) return 'none';
  const run = text.slice(runStart, runEnd);
  if (run === '.' && isAbbreviation(wordBefore(text, runStart))) return 'none';

  let next = end;
  while (next < length && isSpace(text.charAt(next))) next++;
  if (next === length) return final ? 'sentence' : null;
  const nextChar = text.charAt(next);
  const ellipsis = !/[!?]/.test(run) && (run.includes('…') || run.length >= 2);
  if (/\p{Ll}/u.test(nextChar)) return ellipsis ? 'clause' : 'none';
  if (ellipsis && nextChar === 'I') {
    if (next + 1 === length) return final ? 'clause' : null;
    if (!/\p{L}/u.test(text.charAt(next + 1))) return 'clause';
  }
  return 'sentence';
}

/** The word ending at `index` (exclusive), without opening quotes or brackets. */
function wordBefore(text: string, index: number): string {
  let begin = index;
  while (begin > 0 && !isSpace(text.charAt(begin - 1))) begin--;
  return text.slice(begin, index).replace(OPENERS, '');
}

/** `word` is the text before a `.`: a title, a dotted abbreviation (`e.g`, `U.S`) or an initial. */
function isAbbreviation(word: string): boolean {
  if (/^(?:\p{L}\.)+\p{L}$/u.test(word)) return true;
  if (/^\p{Lu}$/u.test(word)) return true;
  return TITLES.has(word.toLowerCase());
}

/**
 * Where to cut a chunk that would exceed `maxChars`: the last boundary of the best kind within
 * the limit, preferring one that leaves at least `minChars`; else a hard cut at `maxChars`.
 */
function forcedEnd(
  text: string,
  fallbacks: readonly Boundary[],
  start: number,
  options: Readonly<Required<ChunkerOptions>>,
): number {
  const minEnd = start + options.minChars;
  const last = (kinds: ReadonlyArray<Boundary['kind']>, min: number): number | undefined =>
    fallbacks.findLast((boundary) => kinds.includes(boundary.kind) && boundary.end >= min)?.end;
  const end =
    last(['sentence', 'strong'], minEnd) ??
    last(['clause'], minEnd) ??
    last(['space'], minEnd) ??
    last(['sentence', 'strong', 'clause', 'space'], start + 1);
  if (end !== undefined) return end;
  const hard = start + options.maxChars;
  // Do not cut a surrogate pair in two.
  return /[\uD800-\uDBFF]/.test(text.charAt(hard - 1)) && hard - 1 > start ? hard - 1 : hard;
}

function isSpace(char: string): boolean {
  return /\s/.test(char);
}
