/** Turning what a learner types in the search box into a safe SQLite FTS5 query. */

const TOKEN = /[\p{L}\p{N}]+/gu;

/**
 * An FTS5 MATCH expression that finds rows containing every word of `search` as a word prefix
 * ("rest caf" finds "restaurant café"). Each token is quoted, so FTS5 operators and punctuation in
 * the input are plain text (https://www.sqlite.org/fts5.html#full_text_query_syntax). Tokens are
 * split like the `unicode61` tokenizer splits (letters and digits).
 * @returns the expression, or undefined when `search` has no word in it
 * @example ftsQuery('Where is "the" café?') // '"Where"* "is"* "the"* "café"*'
 */
export function ftsQuery(search: string): string | undefined {
  const tokens = search.match(TOKEN);
  if (!tokens) return undefined;
  return tokens.map((token) => `"${token}"*`).join(' ');
}
