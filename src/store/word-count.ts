/** Counting the words of a turn, for words spoken, words per minute and errors per 100 words. */

const WORD = /[\p{L}\p{N}]+(?:(?:['’-]|(?<=\p{N})[.,](?=\p{N}))[\p{L}\p{N}]+)*/gu;

/**
 * Number of words in `text`: runs of letters and digits, where an inner apostrophe or hyphen, or a
 * decimal point between digits, keeps a word whole ("don't", "well-known", "3.50": one word each).
 * Punctuation and dashes between words do not count.
 * @example countWords("I don't like it -- well-known!") // 5
 */
export function countWords(text: string): number {
  let count = 0;
  for (const _ of text.matchAll(WORD)) count++;
  return count;
}
