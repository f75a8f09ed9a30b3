/**
 * Supertonic's text front end: normalisation, long-text chunking and unicode indexing, ported
 * from Supertone's published example code (github.com/supertone-inc/supertonic, MIT):
 * `UnicodeProcessor._preprocess_text` / `_preprocessText`, `chunk_text` / `chunkText` in
 * `py/helper.py` and `nodejs/helper.js`. Supertonic reads characters, not phonemes: there is no
 * G2P step, each character's code point is looked up in `onnx/unicode_indexer.json`.
 *
 * Versions differ only here: v1 (`Supertone/supertonic`, English) takes the text as is and its
 * Node helper also strips some combining diacritics; v2 (`Supertone/supertonic-2`) and v3
 * (`Supertone/supertonic-3`) wrap it in `<lang>…</lang>` tags from their own language lists.
 * No I/O here.
 */

/** Supertonic model generation: 1 = `Supertone/supertonic`, 2 = `-2`, 3 = `-3`. */
export type SupertonicVersion = 1 | 2 | 3;

/**
 * Language tags each version accepts (`AVAILABLE_LANGS` in Supertone's helpers): v1 has none
 * (English only, no tags); v2 `en ko es pt fr`; v3 31 languages plus `na` (no language).
 */
export const SUPERTONIC_LANGUAGES: Readonly<Record<SupertonicVersion, readonly string[]>> = {
  1: ['en'],
  2: ['en', 'ko', 'es', 'pt', 'fr'],
  3: [
    'en', 'ko', 'ja', 'ar', 'bg', 'cs', 'da', 'de', 'el', 'es', 'et', 'fi', 'fr', 'hi', 'hr', 'hu',
    'id', 'it', 'lt', 'lv', 'nl', 'pl', 'pt', 'ro', 'ru', 'sk', 'sl', 'sv', 'tr', 'uk', 'vi', 'na',
  ],
};

/** Longest chunk, in characters, Supertone's helpers give one model call (120 for ko/ja, else 300). */
export function supertonicMaxChunkLength(language: string): number {
  return language === 'ko' || language === 'ja' ? 120 : 300;
}

/** Emoji and pictograph ranges the helpers remove (`emoji_pattern`). */
const EMOJI = /[\u{1F600}-\u{1F64F}\u{1F300}-\u{1F5FF}\u{1F680}-\u{1F6FF}\u{1F700}-\u{1F77F}\u{1F780}-\u{1F7FF}\u{1F800}-\u{1F8FF}\u{1F900}-\u{1F9FF}\u{1FA00}-\u{1FA6F}\u{1FA70}-\u{1FAFF}\u{2600}-\u{26FF}\u{2700}-\u{27BF}\u{1F1E6}-\u{1F1FF}]+/gu;

/** Dashes, quotes and symbols mapped to what the models were trained on, in the helpers' order. */
const REPLACEMENTS: ReadonlyArray<readonly [string, string]> = [
  ['–', '-'],
  ['‑', '-'],
  ['—', '-'],
  ['_', ' '],
  ['\u201C', '"'],
  ['\u201D', '"'],
  ['\u2018', "'"],
  ['\u2019', "'"],
  ['´', "'"],
  ['`', "'"],
  ['[', ' '],
  [']', ' '],
  ['|', ' '],
  ['/', ' '],
  ['#', ' '],
  ['→', ' '],
  ['←', ' '],
];

/** v1's Node helper also maps the macron (`'¯': ' '`, listed after the em dash). */
const V1_EXTRA_REPLACEMENTS: ReadonlyArray<readonly [string, string]> = [['¯', ' ']];

/** v1's Node helper strips these combining marks after NFKD ("FIXME: … non-English languages"). */
const V1_COMBINING_MARKS = /[\u0302\u0303\u0304\u0305\u0306\u0307\u0308\u030A\u030B\u030C\u0327\u0328\u0329\u032A\u032B\u032C\u032D\u032E\u032F]/g;

const SPECIAL_SYMBOLS = /[♥☆♡©\\]/g;

const EXPRESSIONS: ReadonlyArray<readonly [string, string]> = [
  ['@', ' at '],
  ['e.g.,', 'for example, '],
  ['i.e.,', 'that is, '],
];

/** A text that already ends like a sentence (or a quote or bracket) gets no added period. */
const FINAL_PUNCTUATION = /[.!?;:,'"')\]}…。」』】〉》›»]$/;

/** Options of {@link normalizeSupertonicText}. */
export interface SupertonicTextOptions {
  version: SupertonicVersion;
  /** Language tag for v2/v3 (one of `SUPERTONIC_LANGUAGES[version]`); ignored by v1. */
  language: string;
}

/**
 * Normalises one chunk of text the way Supertone's helpers do before indexing:
 * NFKD; emoji removed; dashes, curly quotes, `_ [ ] | / # → ←` mapped; `♥☆♡©\` removed;
 * `@` -> ` at `, `e.g.,` -> `for example, `, `i.e.,` -> `that is, `; spaces before
 * `, . ! ? ; : '` removed; doubled quotes collapsed; whitespace collapsed and trimmed; a final
 * `.` added unless the text ends in punctuation, a quote or a closing bracket; then for v2/v3
 * wrapped as `<lang>text</lang>`.
 *
 * @throws RangeError when `language` is not one of the version's languages (v2/v3)
 * @example normalizeSupertonicText('Well — “maybe” 😀 ok', { version: 2, language: 'en' }) // '<en>Well - "maybe" ok.</en>'
 */
export function normalizeSupertonicText(text: string, options: SupertonicTextOptions): string {
  const { version, language } = options;
  if (version !== 1 && !SUPERTONIC_LANGUAGES[version].includes(language)) {
    throw new RangeError(
      `Supertonic v${version} has no language "${language}". Languages: ${SUPERTONIC_LANGUAGES[version].join(', ')}.`,
    );
  }
  let result = text.normalize('NFKD').replace(EMOJI, '');
  const replacements = version === 1 ? [...REPLACEMENTS.slice(0, 3), ...V1_EXTRA_REPLACEMENTS, ...REPLACEMENTS.slice(3)] : REPLACEMENTS;
  for (const [from, to] of replacements) result = result.replaceAll(from, to);
  if (version === 1) result = result.replace(V1_COMBINING_MARKS, '');
  result = result.replace(SPECIAL_SYMBOLS, '');
  for (const [from, to] of EXPRESSIONS) result = result.replaceAll(from, to);
  result = result
    .replace(/ ,/g, ',')
    .replace(/ \./g, '.')
    .replace(/ !/g, '!')
    .replace(/ \?/g, '?')
    .replace(/ ;/g, ';')
    .replace(/ :/g, ':')
    .replace(/ '/g, "'");
  while (result.includes('""')) result = result.replace('""', '"');
  while (result.includes("''")) result = result.replace("''", "'");
  while (result.includes('``')) result = result.replace('``', '`');
  result = result.replace(/\s+/g, ' ').trim();
  if (!FINAL_PUNCTUATION.test(result)) result += '.';
  return version === 1 ? result : `<${language}>${result}</${language}>`;
}

/**
 * Sentence boundary of the helpers' `chunk_text`: whitespace after `.`, `!` or `?`, except after
 * common abbreviations (Mr. Dr. e.g. etc. …) and single capital initials.
 */
const SENTENCE_BOUNDARY =
  /(?<!Mr\.|Mrs\.|Ms\.|Dr\.|Prof\.|Sr\.|Jr\.|Ph\.D\.|etc\.|e\.g\.|i\.e\.|vs\.|Inc\.|Ltd\.|Co\.|Corp\.|St\.|Ave\.|Blvd\.)(?<!\b[A-Z]\.)(?<=[.!?])\s+/;

/**
 * Splits long text for synthesis, as the helpers' `chunk_text`: paragraphs (blank lines), then
 * sentences, packed greedily into chunks of at most `maxLength` characters. One difference: the
 * helpers keep a single sentence longer than `maxLength` whole; here it is split further at the
 * last `,`/`;`/`:` or space before the limit (a word longer than the limit is cut), so every chunk
 * is at most `maxLength` characters.
 *
 * @param maxLength characters per chunk; Supertone uses 300 (120 for Korean and Japanese)
 * @returns the chunks, trimmed; empty for blank text
 */
export function chunkSupertonicText(text: string, maxLength = 300): string[] {
  const chunks: string[] = [];
  const paragraphs = text.trim().split(/\n\s*\n+/).map((paragraph) => paragraph.trim()).filter(Boolean);
  for (const paragraph of paragraphs) {
    let current = '';
    for (const sentence of paragraph.split(SENTENCE_BOUNDARY)) {
      if (current.length + sentence.length + 1 <= maxLength) {
        current += (current ? ' ' : '') + sentence;
      } else {
        if (current) chunks.push(current.trim());
        current = sentence;
      }
    }
    if (current) chunks.push(current.trim());
  }
  return chunks.flatMap((chunk) => splitLongChunk(chunk, maxLength)).filter(Boolean);
}

function splitLongChunk(chunk: string, maxLength: number): string[] {
  const pieces: string[] = [];
  let rest = chunk;
  while (rest.length > maxLength) {
    const window = rest.slice(0, maxLength + 1);
    const clause = Math.max(window.lastIndexOf(', '), window.lastIndexOf('; '), window.lastIndexOf(': '));
    const space = window.lastIndexOf(' ');
    const cut = clause > 0 ? clause + 1 : space > 0 ? space : maxLength;
    pieces.push(rest.slice(0, cut).trim());
    rest = rest.slice(cut).trim();
  }
  if (rest) pieces.push(rest);
  return pieces;
}

/**
 * Maps normalised text to the model's token ids: `ids[i] = indexer[codePoint(text[i])]`, as the
 * helpers' `call` (`text_ids`, int64 [1, T]). The indexer (`unicode_indexer.json`) is an array
 * indexed by code point whose entry is -1 for characters the model never saw. Such characters, and
 * code points beyond the array, are dropped here: the helpers would pass -1 on (which ONNX
 * `Gather` reads as the last embedding row) or fail on the missing entry.
 *
 * @param indexer the parsed `unicode_indexer.json`
 * @returns int64 ids, one per known character (length T)
 */
export function supertonicTextIds(text: string, indexer: ArrayLike<number>): BigInt64Array {
  const ids: bigint[] = [];
  for (const character of text) {
    const id = indexer[character.codePointAt(0)!];
    if (id !== undefined && id >= 0) ids.push(BigInt(id));
  }
  return BigInt64Array.from(ids);
}
